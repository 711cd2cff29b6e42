"""The one score training needs inside the nlu layer: dev exact match for early stopping.

It is the MASSIVE exact match (intent right and every word label right, the prediction padded with
``Other`` or cut to the gold length), averaged over locales, as ``kiloglot.evaluation`` reports it
with its standard errors; ``tests/test_metrics.py`` checks that the two agree. It lives here so that
parsers do not depend on the evaluation layer above them.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiloglot.data.example import OUTSIDE, Example
from kiloglot.nlu.parse import Parse


def mean_exact_match(examples: Sequence[Example], parses: Sequence[Parse]) -> float:
    """Exact match per locale, then the unweighted mean over locales (0 for no examples)."""
    hits: dict[str, list[int]] = {}
    for ex, p in zip(examples, parses, strict=True):
        n = len(ex.word_labels)
        labels = list(p.word_labels[:n]) + [OUTSIDE] * (n - len(p.word_labels))
        ok = p.intent == ex.intent and tuple(labels) == tuple(ex.word_labels)
        counts = hits.setdefault(ex.locale, [0, 0])
        counts[0] += ok
        counts[1] += 1
    return sum(h / n for h, n in hits.values()) / len(hits) if hits else 0.0
