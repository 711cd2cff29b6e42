"""Scoring a parser on labelled examples: the library call behind ``kiloglot evaluate`` (after spaCy's
``Language.evaluate``), and the dev scores a saved model carries in its manifest."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiloglot.data.example import Example
from kiloglot.data.segmentation import official_segmentation
from kiloglot.errors import DataError, InputError
from kiloglot.evaluation.report import Report, build_report
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse

BATCH = 256


@dataclass
class Evaluation:
    """A report with what it was computed from: the examples (grouped by locale), their parses, the time."""

    report: Report
    examples: list[Example]
    parses: list[Parse]
    seconds: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def utterances_per_second(self) -> float:
        return len(self.examples) / self.seconds if self.seconds > 0 else float("inf")


def evaluate(
    parser: Parser,
    examples: Sequence[Example],
    *,
    locales: Sequence[str] | None = None,
    batch_size: int = BATCH,
    progress: Callable[[int, str], None] | None = None,
    meta: dict[str, Any] | None = None,
) -> Evaluation:
    """Parse ``examples`` in batches of one locale and score them as the MASSIVE paper does.

    ``locales`` orders (and limits) the locales; by default, in the order they first appear. Every
    locale must be one the parser supports. ``progress(n, locale)`` is called after each batch."""
    if not examples:
        raise DataError("no examples to evaluate on")
    by_locale: dict[str, list[Example]] = {}
    for ex in examples:
        by_locale.setdefault(ex.locale, []).append(ex)
    order = list(locales) if locales is not None else list(by_locale)
    unsupported = [loc for loc in order if not parser.supports(loc)]
    if unsupported:
        raise InputError(
            f"this model was not trained on {', '.join(unsupported)}: it knows {', '.join(parser.locales)}"
        )
    ordered = [ex for loc in order for ex in by_locale.get(loc, [])]
    if not ordered:
        raise DataError(f"no examples for {', '.join(order)}")
    parses: list[Parse] = []
    started = time.perf_counter()
    with official_segmentation():  # words as the paper's evaluation counts them, whatever users type
        for loc in order:
            group = by_locale.get(loc, [])
            for i in range(0, len(group), batch_size):
                batch = group[i : i + batch_size]
                parses.extend(parser.parse([e.text for e in batch], loc))
                if progress:
                    progress(len(batch), loc)
    seconds = time.perf_counter() - started
    return Evaluation(build_report(ordered, parses, meta), ordered, parses, seconds, dict(meta or {}))


def dev_metrics(parser: Parser, dev: Sequence[Example]) -> dict[str, Any]:
    """The dev scores a model keeps in its manifest (``{}`` without dev examples)."""
    if not dev:
        return {}
    report = evaluate(parser, dev).report
    return {
        "dev": {
            "mean": report.mean.as_dict(),
            "per_locale": {k: v.as_dict() for k, v in report.per_locale.items()},
        }
    }
