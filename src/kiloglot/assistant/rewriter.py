"""The rewriter: the stage before the parser that applies learned rewrites (``kg_rewrites``).

A turn whose normalised text is a rewrite's ``source`` (in its locale) is parsed as the rewrite's
``target``: the phrasing that the assistant's users reach success with after the first one failed
(mined by ``kiloglot.learn.selflearn``). Exact matching is a dictionary lookup on the normalised text;
near matching (off by default) takes the closest source above a similarity cut-off, for the small
variations (a typo, a dropped article) exact matching misses.

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


@dataclass(frozen=True)
class RewriteHit:
    id: int
    source: str
    target: str
    near: bool = False  # matched a source close to the text, not the text itself
    similarity: float = 100.0

    def to_dict(self, original: str) -> dict[str, object]:
        return {"id": self.id, "from": original, "to": self.target, "near": self.near}


class Rewriter:
    """Active rewrites of one store, looked up per turn."""

    def __init__(self, store: Store, *, near: bool = False, near_cutoff: float = 92.0, refresh_seconds: float = 30.0):
        self.store = store
        self.near = near
        self.near_cutoff = near_cutoff
        self.refresh_seconds = refresh_seconds
        self._table: dict[str, dict[str, tuple[int, str]]] = {}  # locale -> normalised source -> (id, target)
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
            table: dict[str, dict[str, tuple[int, str]]] = {}
            for row in self.store.rewrites(status="active"):
                table.setdefault(row.locale, {})[row.source] = (row.id, row.target)
            self._table, self._version = table, version
        log.debug("rewriter: %d active rewrites", sum(map(len, table.values())))

    def __len__(self) -> int:
        return sum(map(len, self._table.values()))

    def lookup(self, text: str, locale: str) -> RewriteHit | None:
        """The rewrite for ``text`` in ``locale``, or None."""
        if time.monotonic() - self._checked > self.refresh_seconds:
            self.refresh()
        sources = self._table.get(locale)
        if not sources:
            return None
        key = normalize_utterance(text)
        found = sources.get(key)
        if found is not None:
            return RewriteHit(found[0], key, found[1]) if normalize_utterance(found[1]) != key else None
        if not self.near or not key:
            return None
        best = process.extractOne(key, sources.keys(), scorer=fuzz.ratio, score_cutoff=self.near_cutoff)
        if best is None:
            return None
        source, similarity = best[0], float(best[1])
        rewrite_id, target = sources[source]
        return RewriteHit(rewrite_id, source, target, near=True, similarity=similarity)
