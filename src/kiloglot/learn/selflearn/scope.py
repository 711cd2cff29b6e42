"""A refit parser that answers only texts like those it was taught; the original parser answers the rest.

Why: a refit on mined pairs and reformulation paths mends the texts users failed with, but it also moves
the parser's reading of texts nobody logged. On MASSIVE dev (texts no simulated user said), a refit on a
week of simulated train traffic changed 1,236 of 16,264 parses in 8 locales: 277 became right and 253
became wrong, most of them slot changes under the same intent. Away from its evidence a refit is close
to a coin flip, and in the simulation such changes are where its losses come from. A scope keeps what
the log showed and leaves the rest as it was:

- ``taught``: the refit answers the very texts it learnt from (normalised as rewrites are);
- ``phrasing``: also texts that, read by the refit, say a taught phrasing with other slot values
  ("wake me at {time}" taught with "six", said with "seven"): the text with the refit's slot values
  masked equals a taught text with its labelled values masked. The phrasing rewrites of the rewriter
  generalise the same way;
- ``goal``: also texts the refit reads as a taught goal: the same intent and the same slot values (at least
  one) as a taught example, in any words ("set an alarm for six am" taught, "six am alarm please" said).
  Users come back to the same goals with other words; a slot value pins a goal to what the user said,
  where an intent alone does not, so a slotless text is the refit's only as a taught text;
- ``intent``: also texts whose intent the refit reads otherwise than the original does (both models parse
  every text). It was built to test whether the refit's intent changes away from its evidence are safer than
  its slot changes. They are not: offline they changed 400 dev parses, 78 to right and 82 to wrong (dev EM
  61.02 -> 60.99), and in the simulation they won 36 turns for 10 losses. It is a setting to measure with,
  not one to serve.

Saved, a scoped model is a folder like an ensemble's: the original and the refit as members (the original
hard-linked from the folder it was loaded from, where known), the taught examples in ``taught.jsonl``
(annotated as MASSIVE writes slots), and the scope in the manifest's options; ``load`` serves it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kiloglot.assistant.rewriter import normalize_utterance
from kiloglot.data.codec import AnnotationError, SlotCodec
from kiloglot.data.example import Example
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import MANIFEST_FILE, MEMBERS_DIR, Manifest
from kiloglot.nlu.contract import Parser, ParsesGivenIntents
from kiloglot.nlu.members import save_with_members
from kiloglot.nlu.parse import Parse
from kiloglot.nlu.registry import load

SCOPES = ("all", "taught", "phrasing", "goal", "intent")  # each answers a superset of the one before
TAUGHT_FILE = "taught.jsonl"


def check_scope(scope: str, name: str = "refit scope") -> str:
    """``scope`` if it is one of ``SCOPES``; an ``InputError`` naming ``name`` (a flag, a setting) otherwise."""
    if scope not in SCOPES:
        raise InputError(f"{name} {scope!r}: expected one of {', '.join(SCOPES)}")
    return scope


def phrasing_of(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each slot span replaced by its slot name, the rest normalised: the phrasing it says."""
    pieces, pos = [], 0
    for start, end, name in sorted(spans):
        pieces += [normalize_utterance(text[pos:start]), f"\x00{name}\x00"]
        pos = end
    pieces.append(normalize_utterance(text[pos:]))
    return " ".join(p for p in pieces if p)


def goal_of(intent: str, values: Iterable[tuple[str, str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The goal a parse says: its intent and its (slot, normalised value) pairs, in a canonical order."""
    return intent, tuple(sorted((name, normalize_utterance(value)) for name, value in values))


class ScopedParser(Parser):
    """``refit``'s parse of a text in its scope (see the module), ``original``'s of any other text."""

    kind = "scoped"
    runtime = "python"

    def __init__(
        self,
        original: Parser,
        refit: Parser,
        taught: Mapping[str, Sequence[Example]],
        scope: str,
        original_source: str | Path | None = None,
    ) -> None:
        """``original_source``: the folder ``original`` was loaded from (saving then links its files)."""
        if scope not in SCOPES[1:]:
            raise ValueError(f"scope {scope!r}: expected one of {', '.join(SCOPES[1:])}")
        self.original, self.refit, self.scope = original, refit, scope
        self.original_source = Path(original_source) if original_source is not None else None
        self.taught = {loc: list(examples) for loc, examples in taught.items()}
        self._texts = {loc: {normalize_utterance(e.text) for e in exs} for loc, exs in self.taught.items()}
        self._phrasings = {
            loc: {phrasing_of(e.text, ((s.start, s.end, s.name) for s in e.spans)) for e in exs}
            for loc, exs in self.taught.items()
        }
        self._goals = {
            loc: {goal_of(e.intent, ((s.name, e.text[s.start : s.end]) for s in e.spans)) for e in exs if e.spans}
            for loc, exs in self.taught.items()
        }
        self.data_fingerprint = refit.data_fingerprint

    @classmethod
    def taught_from(
        cls,
        original: Parser,
        refit: Parser,
        examples: Iterable[Example],
        scope: str,
        original_source: str | Path | None = None,
    ) -> ScopedParser:
        """The scoped parser of a refit taught ``examples`` (of any locales)."""
        taught: dict[str, list[Example]] = {}
        for ex in examples:
            taught.setdefault(ex.locale, []).append(ex)
        return cls(original, refit, taught, scope, original_source)

    @property
    def locales(self) -> list[str]:
        return self.original.locales

    def supports(self, locale: str) -> bool:
        return self.original.supports(locale)

    @property
    def intents(self) -> list[str]:
        return sorted(set(self.original.intents) | set(self.refit.intents))

    @property
    def slot_labels(self) -> list[str]:
        return sorted(set(self.original.slot_labels) | set(self.refit.slot_labels))

    def rule(self, refit: Parse, original: Parse | None, locale: str) -> str | None:
        """The rule by which the refit, reading a text as ``refit``, answers it ("taught", "phrasing", "goal" or
        "intent"; ``original``: the original's parse, needed by the intent rule only); None: the original does."""
        if normalize_utterance(refit.text) in self._texts.get(locale, ()):
            return "taught"
        if self.scope == "taught":
            return None
        if phrasing_of(refit.text, ((s.start, s.end, s.name) for s in refit.slots)) in self._phrasings.get(locale, ()):
            return "phrasing"
        if self.scope == "phrasing":
            return None
        if refit.slots and goal_of(refit.intent, ((s.name, s.value) for s in refit.slots)) in self._goals.get(
            locale, ()
        ):
            return "goal"
        if self.scope == "intent" and original is not None and refit.intent != original.intent:
            return "intent"
        return None

    def rule_of(self, text: str, locale: str) -> str | None:
        """Which rule makes the refit answer ``text`` (see ``rule``); None when the original answers it."""
        self.check_request([text], locale)
        if not self.taught.get(locale):
            return None
        refit = self.refit.parse([text], locale)[0]
        original = self.original.parse([text], locale)[0] if self.scope == "intent" else None
        return self.rule(refit, original, locale)

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        self.check_request(texts, locale)
        return self._read(texts, locale, lambda parser, idx: parser.parse([texts[i] for i in idx], locale))

    def parse_given_intents(self, texts: Sequence[str], locale: str, intents: Sequence[str]) -> list[Parse]:
        """Slots given each text's intent (so a scoped model can be an ensemble's slot member): the refit's
        for the texts in its scope, read with the given intent; a member that cannot condition on the intent
        labels the words as it would anyway."""
        self.check_request(texts, locale)
        if len(intents) != len(texts):
            raise InputError(f"{len(intents)} intents for {len(texts)} texts: expected one intent per text")

        def given(parser: Parser, idx: list[int]) -> list[Parse]:
            if isinstance(parser, ParsesGivenIntents):
                return parser.parse_given_intents([texts[i] for i in idx], locale, [intents[i] for i in idx])
            return parser.parse([texts[i] for i in idx], locale)

        return self._read(texts, locale, given)

    def _read(self, texts: Sequence[str], locale: str, read: Callable[[Parser, list[int]], list[Parse]]) -> list[Parse]:
        """The parses of ``texts``, ``read(parser, indices)`` giving one member's parses of some of them."""
        everything = list(range(len(texts)))
        if not self.taught.get(locale):
            return read(self.original, everything)
        if self.scope == "taught":  # decided by the text alone: each text is parsed once, by one model
            known = self._texts[locale]
            taught = [normalize_utterance(t) in known for t in texts]
            inside = [i for i in everything if taught[i]]
            outside = [i for i in everything if not taught[i]]
            out: list[Parse | None] = [None] * len(texts)
            for idx, parser in ((inside, self.refit), (outside, self.original)):
                if idx:
                    for i, p in zip(idx, read(parser, idx), strict=True):
                        out[i] = p
            return [p for p in out if p is not None]
        refit = read(self.refit, everything)  # a phrasing or a goal needs the refit's slots to be recognised
        if self.scope == "intent":  # the intent rule compares the two readings of every text
            original = read(self.original, everything)
            return [r if self.rule(r, o, locale) else o for r, o in zip(refit, original, strict=True)]
        others = [i for i, p in enumerate(refit) if self.rule(p, None, locale) is None]
        if others:
            for i, p in zip(others, read(self.original, others), strict=True):
                refit[i] = p
        return refit

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        def write_taught(folder: Path) -> None:
            rows = [{"locale": e.locale, "text": e.text, "intent": e.intent, "annotated": SlotCodec.encode(e)}
                    for exs in self.taught.values() for e in exs]  # fmt: skip
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            (folder / TAUGHT_FILE).write_text(text, encoding="utf-8")

        members = [("original", self.original, self.original_source), ("refit", self.refit, None)]
        return save_with_members(path, self, members, {"scope": self.scope}, metrics, write_taught)

    @classmethod
    def from_artifact(cls, path: Path, manifest: Manifest) -> ScopedParser:
        root = Path(path)
        scope = manifest.get("options", {}).get("scope")
        if scope not in SCOPES[1:]:
            raise ModelError(f"{root}/{MANIFEST_FILE}: scope {scope!r}, expected one of {', '.join(SCOPES[1:])}")
        taught: dict[str, list[Example]] = {}
        try:
            lines = (root / TAUGHT_FILE).read_text(encoding="utf-8").splitlines()
            for n, line in enumerate(lines, 1):
                row = json.loads(line)
                ex = SlotCodec.decode(row["annotated"], row["locale"], row["text"], id=f"taught-{n}",
                                      intent=row["intent"], partition="selflearn")  # fmt: skip
                taught.setdefault(ex.locale, []).append(ex)
        except (OSError, ValueError, KeyError, TypeError, AnnotationError) as exc:
            raise ModelError(f"{root}/{TAUGHT_FILE} is missing or corrupt: {exc}") from None
        original = root / MEMBERS_DIR / "original"
        return cls(load(original), load(root / MEMBERS_DIR / "refit"), taught, scope, original_source=original)
