"""The rewriter: the stage before the parser that applies learned rewrites (``kg_rewrites``).

A turn whose normalised text is a rewrite's ``source`` (in its locale) is parsed as the rewrite's
``target``: the phrasing that the assistant's users reach success with after the first one failed
(mined by ``kiloglot.learn.selflearn``). Exact matching is a dictionary lookup on the normalised text.
A phrasing rewrite's source holds slots (``wake me at {time}``): it matches a text with any value in
their place and fills the target's slots (``set an alarm for {time}``) with the values found; tried
only when no exact rewrite matched, and only those whose longest word is in the text. Near matching
(off by default) takes the closest exact source above a similarity cut-off, for the small variations (a
typo, a dropped article) exact matching misses. A rewrite with an ``intent`` (what users said they meant,
in their feedback) also gives the parse that intent.

The rewrites live in the database next to the log; the rewriter keeps them in memory and reloads them
when they change (checked at most every ``refresh_seconds``), so a mining run, a disabled rewrite or
the kill switch reach every server process without a restart.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from kiloglot.assistant.store import Store

log = logging.getLogger(__name__)

_PUNCT = re.compile(r"[\s\W_]+")


def normalize_utterance(text: str) -> str:
    """The form rewrites are keyed by: NFKC, case-folded, punctuation and runs of space as one space."""
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class RewriteHit:
    id: int
    source: str
    target: str
    near: bool = False  # matched a source close to the text, not the text itself
    similarity: float = 100.0
    phrasing: bool = False  # matched a phrasing rewrite (slots filled from the text)
    intent: str | None = None  # the intent the parse takes (a meaning users stated), else the parser's

    def to_dict(self, original: str) -> dict[str, object]:
        return {"id": self.id, "from": original, "to": self.target, "near": self.near, "phrasing": self.phrasing,
                "intent": self.intent}  # fmt: skip


@dataclass(frozen=True)
class _Phrasing:
    id: int
    pattern: re.Pattern[str]
    target: str
    anchor: str  # its longest word: the text must have it


def _phrasing(rewrite_id: int, source: str, target: str) -> _Phrasing:
    parts, pos, seen = [], 0, set()
    for m in _SLOT.finditer(source):
        parts.append(re.escape(source[pos : m.start()]))
        name = m.group(1)
        parts.append(f"(?P<{name}>.+?)" if name not in seen else f"(?P={name})")
        seen.add(name)
        pos = m.end()
    parts.append(re.escape(source[pos:]))
    literal = [w for w in source.split() if not _SLOT.fullmatch(w)]
    return _Phrasing(rewrite_id, re.compile("".join(parts)), target, max(literal, key=len))


class Rewriter:
    """Active rewrites of one store, looked up per turn."""

    def __init__(self, store: Store, *, near: bool = False, near_cutoff: float = 92.0, refresh_seconds: float = 30.0):
        self.store = store
        self.near = near
        self.near_cutoff = near_cutoff
        self.refresh_seconds = refresh_seconds
        # locale -> normalised source -> (id, target, intent)
        self._table: dict[str, dict[str, tuple[int, str, str | None]]] = {}
        self._phrasings: dict[str, dict[str, list[_Phrasing]]] = {}  # locale -> anchor word -> phrasings
        self._version: object = None
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Reload the active rewrites if they changed since the last load (or when ``force``)."""
        version = self.store.rewrites_version()
        with self._lock:
            self._checked = time.monotonic()
            if not force and version == self._version:
                return
            table: dict[str, dict[str, tuple[int, str, str | None]]] = {}
            phrasings: dict[str, dict[str, list[_Phrasing]]] = {}
            for row in self.store.rewrites(status="active"):
                if _SLOT.search(row.source):
                    p = _phrasing(row.id, row.source, row.target)
                    phrasings.setdefault(row.locale, {}).setdefault(p.anchor, []).append(p)
                else:
                    table.setdefault(row.locale, {})[row.source] = (row.id, row.target, row.intent)
            self._table, self._phrasings, self._version = table, phrasings, version
        log.debug("rewriter: %d active rewrites", sum(map(len, table.values())))

    def __len__(self) -> int:
        phrasings = sum(len(ps) for by_anchor in self._phrasings.values() for ps in by_anchor.values())
        return sum(map(len, self._table.values())) + phrasings

    def lookup(self, text: str, locale: str) -> RewriteHit | None:
        """The rewrite for ``text`` in ``locale``, or None."""
        if time.monotonic() - self._checked > self.refresh_seconds:
            self.refresh()
        sources = self._table.get(locale, {})
        key = normalize_utterance(text)
        found = sources.get(key)
        if found is not None:
            changes = found[2] is not None or normalize_utterance(found[1]) != key
            return RewriteHit(found[0], key, found[1], intent=found[2]) if changes else None
        by_anchor = self._phrasings.get(locale)
        if by_anchor:
            hit = self._phrase(key, by_anchor)
            if hit is not None:
                return hit
        if not self.near or not key or not sources:
            return None
        best = process.extractOne(key, sources.keys(), scorer=fuzz.ratio, score_cutoff=self.near_cutoff)
        if best is None:
            return None
        source, similarity = best[0], float(best[1])
        rewrite_id, target, intent = sources[source]
        return RewriteHit(rewrite_id, source, target, near=True, similarity=similarity, intent=intent)

    @staticmethod
    def _phrase(key: str, by_anchor: dict[str, list[_Phrasing]]) -> RewriteHit | None:
        for word in dict.fromkeys(key.split()):
            for p in by_anchor.get(word, ()):
                m = p.pattern.fullmatch(key)
                if m is None or any(len(v.split()) > 6 for v in m.groupdict().values()):
                    continue
                values = m.groupdict()
                target = _SLOT.sub(lambda s, values=values: values.get(s.group(1), s.group(0)), p.target)  # type: ignore[misc]
                if _SLOT.search(target) is None and target != key:
                    return RewriteHit(p.id, p.pattern.pattern, target, phrasing=True)
        return None
