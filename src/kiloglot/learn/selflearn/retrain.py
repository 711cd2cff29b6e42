"""New training data from mined rewrites, and the parser trained again on it (``kiloglot selflearn``).

A mined rewrite ``u -> u*`` says that users who said ``u`` meant what ``u*`` was understood as. The
failed utterance ``u`` (as users said it) becomes a training example labelled with the successful
parse of ``u*``: its intent, and each slot value of that parse found in ``u`` as whole words labelled
with its slot. A rewrite whose slot values do not all appear in ``u`` gives no example (half a label
would teach the parser that those words are outside any slot).

The parser is then trained again on its original training data plus these examples (a linear model
refits only the locales that got new examples; other kinds train again in full), scored on MASSIVE
dev before and after; the new model is kept only when dev exact match did not fall.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiloglot.data.codec import AnnotationError, SlotCodec
from kiloglot.data.example import Example
from kiloglot.data.segmentation import splits_characters, word_offsets
from kiloglot.errors import InputError
from kiloglot.evaluation.evaluate import dev_metrics
from kiloglot.learn.selflearn.mining import MinedRewrite
from kiloglot.nlu import registry
from kiloglot.nlu.contract import Parser, TrainableParser
from kiloglot.nlu.linear.parser import LinearParser

log = logging.getLogger(__name__)


def _find(text: str, value: str, locale: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Where ``value`` stands in ``text`` as whole words (any case), not overlapping ``taken``."""
    lowered, needle = text.lower(), value.strip().lower()
    if not needle or len(lowered) != len(text):
        return None
    offsets = word_offsets(text, locale)
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    at = lowered.find(needle)
    while at >= 0:
        span = (at, at + len(needle))
        whole = splits_characters(locale) or (span[0] in starts and span[1] in ends)
        if whole and all(span[1] <= a or span[0] >= b for a, b in taken):
            return span
        at = lowered.find(needle, at + 1)
    return None


def example_from_rewrite(rewrite: MinedRewrite, n: int = 0) -> Example | None:
    """The failed utterance labelled with the successful parse of its rewrite; None when a slot value of
    that parse is not in it."""
    text, parse = rewrite.source_text.strip(), rewrite.target_parse
    intent = str(parse.get("intent") or "")
    if not text or not intent:
        return None
    spans: list[tuple[int, int, str]] = []
    for slot in parse.get("slots", []):
        found = _find(text, str(slot.get("value", "")), rewrite.locale, [(a, b) for a, b, _ in spans])
        if found is None:
            return None
        spans.append((*found, str(slot["name"])))
    pieces, pos = [], 0
    for start, end, name in sorted(spans):
        pieces += [text[pos:start], f"[{name} : {text[start:end]}]"]
        pos = end
    pieces.append(text[pos:])
    try:
        return SlotCodec.decode(
            "".join(pieces), rewrite.locale, text, id=f"selflearn-{n}", intent=intent, partition="selflearn"
        )
    except AnnotationError:
        return None


def examples_from_rewrites(rewrites: Iterable[MinedRewrite]) -> tuple[list[Example], int]:
    """Training examples of the active rewrites, and how many gave none."""
    examples, skipped = [], 0
    utterances = (r for r in rewrites if r.status == "active" and "{" not in r.source)  # phrasings have no text
    for n, rewrite in enumerate(utterances):
        ex = example_from_rewrite(rewrite, n)
        if ex is None:
            skipped += 1
        else:
            examples.append(ex)
    return examples, skipped


def refit_linear(
    parser: LinearParser, new_examples: Sequence[Example], train: Sequence[Example], dev: Sequence[Example] = ()
) -> LinearParser:
    """``parser`` with the locales of ``new_examples`` trained again on their part of ``train`` plus the new
    examples; every other locale kept as it is."""
    locales = {e.locale for e in new_examples}
    own = [e for e in train if e.locale in locales]
    return parser.refit([*own, *new_examples], list(dev) or None)


@dataclass
class RetrainOutcome:
    parser: Parser
    before: dict[str, Any]
    after: dict[str, Any]
    examples: int
    skipped: int
    locales: list[str]
    kept: bool
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exact_match_before(self) -> float:
        return float(self.before["dev"]["mean"]["exact_match"]) if self.before else 0.0

    @property
    def exact_match_after(self) -> float:
        return float(self.after["dev"]["mean"]["exact_match"]) if self.after else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "skipped": self.skipped,
            "locales": self.locales,
            "dev_exact_match_before": round(self.exact_match_before, 4),
            "dev_exact_match_after": round(self.exact_match_after, 4),
            "per_locale_before": _per_locale(self.before),
            "per_locale_after": _per_locale(self.after),
            "kept": self.kept,
            "path": str(self.path) if self.path else None,
            "notes": self.notes,
        }


def _per_locale(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: round(v["exact_match"], 4) for k, v in metrics.get("dev", {}).get("per_locale", {}).items()}


def retrain(
    parser: Parser,
    new_examples: Sequence[Example],
    train: Sequence[Example],
    dev: Sequence[Example],
    out: str | Path | None,
    *,
    skipped: int = 0,
    keep_worse: bool = False,
) -> RetrainOutcome:
    """``parser`` trained again on ``train`` (its own training data) plus ``new_examples``, scored on
    ``dev`` (of the locales that got examples) before and after, saved to ``out`` unless dev exact match
    fell (``keep_worse`` saves it anyway)."""
    if not new_examples:
        raise InputError("no new training examples: mine rewrites first (the log holds no reformulations)")
    locales = sorted({e.locale for e in new_examples})
    unknown = [loc for loc in locales if not parser.supports(loc)]
    if unknown:
        raise InputError(f"examples in {', '.join(unknown)}: this model reads {', '.join(parser.locales)}")
    own = [e for e in train if e.locale in locales]
    scored = [e for e in dev if e.locale in locales]
    if not own or not scored:
        raise InputError(f"no train or dev examples of {', '.join(locales)}: expected the model's MASSIVE data")
    before = dev_metrics(parser, scored)
    if isinstance(parser, LinearParser):
        fresh: TrainableParser = refit_linear(parser, new_examples, own, scored)
    elif isinstance(parser, TrainableParser):  # other kinds learn all locales at once: train again in full
        fresh = registry.create(parser.kind, **parser.get_params())
        fresh.fit([*train, *new_examples], dev)
    else:
        raise InputError(f"a {parser.kind} model cannot be trained again: retrain the model it was exported from")
    after = dev_metrics(fresh, scored)
    outcome = RetrainOutcome(fresh, before, after, len(new_examples), skipped, locales, kept=False)
    if outcome.exact_match_after + 1e-12 < outcome.exact_match_before and not keep_worse:
        outcome.notes.append("dev exact match fell: the retrained model was not saved (--keep-worse saves it)")
        return outcome
    outcome.kept = True
    if out is not None:
        outcome.path = fresh.save(out, metrics=after)
    return outcome
