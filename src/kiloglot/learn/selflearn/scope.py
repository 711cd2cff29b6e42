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
- ``confirmed``: also texts the refit reads as a goal the log confirmed (the intent and slot values, at least
  one, of a text whose every turn worked as said), while the original reads them as no goal the log
  confirmed or taught. Goals recur across users, so a reading that names a goal people reach is likely
  right, and where both readings name one the original keeps the text. Measured: 85 dev parses changed
  offline (29 to right, 15 to wrong; dev EM 61.02 -> 61.10), and in the simulation the rule won 249 turns for
  15 losses over three seeds;
- ``unknown``: also every text the original reads as no goal the log confirmed or taught. The original keeps
  only the readings the log vouches for; the refit answers the rest. Without a scope the refit's losses in
  the simulation are turns the original got right, and a goal the original gets right is confirmed the first
  time someone says it, so this keeps most of them out while the refit keeps its reach on texts the log
  says nothing about. Measured (three seeds): 35.1 / 37.5 / 35.7 % reduction on recurring goals, win/loss
  15.2 / 12.3 / 12.7, dev EM 61.02 -> 61.19; the rule itself won 466 turns for 278 losses;
- ``intent``: also texts whose intent the refit reads otherwise than the original does (the original parses
  every text the rules before leave). It was built to test whether the refit's intent changes away from its
  evidence are safer than its slot changes. They are not: offline they changed 400 dev parses, 78 to right
  and 82 to wrong (dev EM 61.02 -> 60.99), and in the simulation they won 36 turns for 10 losses. It is a
  setting to measure with, not one to serve.

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

# taught < phrasing < goal < confirmed < unknown, and goal < intent: each answers a superset of the texts of the
# one before
SCOPES = ("all", "taught", "phrasing", "goal", "confirmed", "unknown", "intent")
COMPARING = ("confirmed", "unknown", "intent")  # scopes whose last rule also needs the original's reading of a text
NEEDS_CONFIRMED = ("confirmed", "unknown")  # scopes that weigh the goals of the log's confirmed successes
TAUGHT_FILE = "taught.jsonl"
CONFIRMED_FILE = "confirmed.jsonl"  # the goals of the confirmed successes (scopes in ``NEEDS_CONFIRMED``)

Goal = tuple[str, tuple[tuple[str, str], ...]]


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


def goal_of(intent: str, values: Iterable[tuple[str, str]]) -> Goal:
    """The goal a parse says: its intent and its (slot, normalised value) pairs, in a canonical order."""
    return intent, tuple(sorted((name, normalize_utterance(value)) for name, value in values))


def goal_of_parse(parse: Parse) -> Goal:
    return goal_of(parse.intent, ((s.name, s.value) for s in parse.slots))


def goal_of_example(example: Example) -> Goal:
    return goal_of(example.intent, ((s.name, example.text[s.start : s.end]) for s in example.spans))


def goals_by_locale(examples: Iterable[Example]) -> dict[str, set[Goal]]:
    """The goals ``examples`` say, per locale."""
    goals: dict[str, set[Goal]] = {}
    for ex in examples:
        goals.setdefault(ex.locale, set()).add(goal_of_example(ex))
    return goals


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
        confirmed: Mapping[str, Iterable[Goal]] | None = None,
    ) -> None:
        """``original_source``: the folder ``original`` was loaded from (saving then links its files).
        ``confirmed``: per locale, the goals of the log's confirmed successes (the scopes in ``NEEDS_CONFIRMED``
        weigh them)."""
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
        self._goals = {loc: {goal_of_example(e) for e in exs if e.spans} for loc, exs in self.taught.items()}
        self.confirmed = {loc: set(goals) for loc, goals in (confirmed or {}).items()}
        # a reading the original keeps against the refit's (scopes confirmed, unknown): any goal confirmed or taught
        taught_goals = goals_by_locale(e for exs in self.taught.values() for e in exs)
        self._known = {loc: self.confirmed.get(loc, set()) | taught_goals.get(loc, set())
                       for loc in {*self.confirmed, *taught_goals}}  # fmt: skip
        self.data_fingerprint = refit.data_fingerprint

    @classmethod
    def taught_from(
        cls,
        original: Parser,
        refit: Parser,
        examples: Iterable[Example],
        scope: str,
        original_source: str | Path | None = None,
        confirmed: Iterable[Example] = (),
    ) -> ScopedParser:
        """The scoped parser of a refit taught ``examples`` (of any locales); ``confirmed``: the log's
        confirmed successes, labelled with their parses (``examples_from_successes``)."""
        taught: dict[str, list[Example]] = {}
        for ex in examples:
            taught.setdefault(ex.locale, []).append(ex)
        goals = {loc: {g for g in gs if g[1]} for loc, gs in goals_by_locale(confirmed).items()}
        return cls(original, refit, taught, scope, original_source, goals)

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
        """The rule by which the refit, reading a text as ``refit``, answers it ("taught", "phrasing", "goal",
        "confirmed", "unknown" or "intent"; ``original``: the original's parse, needed by the last three, which
        answer None without it); None: the original does."""
        by_evidence = self._evidence_rule(refit, locale)
        if by_evidence is not None or original is None:
            return by_evidence
        return self._comparison_rule(refit, original, locale)

    def _evidence_rule(self, refit: Parse, locale: str) -> str | None:
        """The rules that read the refit's parse alone: taught, phrasing, goal."""
        if normalize_utterance(refit.text) in self._texts.get(locale, ()):
            return "taught"
        if self.scope == "taught":
            return None
        if phrasing_of(refit.text, ((s.start, s.end, s.name) for s in refit.slots)) in self._phrasings.get(locale, ()):
            return "phrasing"
        if self.scope == "phrasing":
            return None
        if refit.slots and goal_of_parse(refit) in self._goals.get(locale, ()):
            return "goal"
        return None

    def _comparison_rule(self, refit: Parse, original: Parse, locale: str) -> str | None:
        """The rules that compare the two readings of a text the evidence rules leave: intent, confirmed,
        unknown."""
        if self.scope not in COMPARING:
            return None
        if self.scope == "intent":
            return "intent" if refit.intent != original.intent else None
        if goal_of_parse(original) in self._known.get(locale, ()):
            return None  # the log vouches for the original's reading
        if refit.slots and goal_of_parse(refit) in self.confirmed.get(locale, ()):
            return "confirmed"
        return "unknown" if self.scope == "unknown" else None

    def rule_of(self, text: str, locale: str) -> str | None:
        """Which rule makes the refit answer ``text`` (see ``rule``); None when the original answers it."""
        self.check_request([text], locale)
        if not self.taught.get(locale):
            return None
        refit = self.refit.parse([text], locale)[0]
        rule = self._evidence_rule(refit, locale)
        if rule is None and self.scope in COMPARING:
            rule = self._comparison_rule(refit, self.original.parse([text], locale)[0], locale)
        return rule

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
        others = [i for i, p in enumerate(refit) if self._evidence_rule(p, locale) is None]
        if others:  # the intent, confirmed and unknown rules weigh the original's reading (others answer None)
            for i, p in zip(others, read(self.original, others), strict=True):
                if self._comparison_rule(refit[i], p, locale) is None:
                    refit[i] = p
        return refit

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        def write_taught(folder: Path) -> None:
            rows = [{"locale": e.locale, "text": e.text, "intent": e.intent, "annotated": SlotCodec.encode(e)}
                    for exs in self.taught.values() for e in exs]  # fmt: skip
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            (folder / TAUGHT_FILE).write_text(text, encoding="utf-8")
            if self.scope in NEEDS_CONFIRMED:
                goals = [{"locale": loc, "intent": intent, "slots": [list(v) for v in values]}
                         for loc, gs in sorted(self.confirmed.items()) for intent, values in sorted(gs)]  # fmt: skip
                lines = "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in goals)
                (folder / CONFIRMED_FILE).write_text(lines, encoding="utf-8")

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
        confirmed: dict[str, set[Goal]] = {}
        if scope in NEEDS_CONFIRMED:
            try:
                for line in (root / CONFIRMED_FILE).read_text(encoding="utf-8").splitlines():
                    row = json.loads(line)
                    values = tuple((str(name), str(value)) for name, value in row["slots"])
                    confirmed.setdefault(row["locale"], set()).add((str(row["intent"]), values))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ModelError(f"{root}/{CONFIRMED_FILE} is missing or corrupt: {exc}") from None
        original = root / MEMBERS_DIR / "original"
        refit = load(root / MEMBERS_DIR / "refit")
        return cls(load(original), refit, taught, scope, original_source=original, confirmed=confirmed)
