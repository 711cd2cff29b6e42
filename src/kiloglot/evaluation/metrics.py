"""MASSIVE's official metrics, exactly: intent accuracy, slot micro-F1, exact match.

Rules (from the official evaluation): a prediction's word labels are padded with ``Other`` or
truncated to the gold length; word labels become BIO tags where a run of equal labels is one span
and ``Other`` is outside; slot F1 is seqeval's micro F1 over those tags; exact match needs the
intent and every tag right. Standard errors are binomial, ``sqrt(p (1 - p) / n)``, with ``n`` the
number of utterances, or for slot F1 the number of (gold-length) words.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from seqeval.metrics import f1_score

from kiloglot.data.example import OUTSIDE


def to_bio(labels: Sequence[str], outside: str = OUTSIDE) -> list[str]:
    """``['city', 'city', 'Other', 'date']`` -> ``['B-city', 'I-city', 'O', 'B-date']``."""
    tags: list[str] = []
    previous = None
    for label in labels:
        if label == outside:
            tags.append("O")
        elif label == previous:
            tags.append("I-" + label)
        else:
            tags.append("B-" + label)
        previous = label
    return tags


def fit_to_gold(pred: Sequence[str], gold_length: int, pad: str = OUTSIDE) -> list[str]:
    """Truncate a prediction to the gold length, or pad it with ``Other``."""
    pred = list(pred[:gold_length])
    return pred + [pad] * (gold_length - len(pred))


def binomial_stderr(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n) if n else 0.0


@dataclass(frozen=True)
class Scores:
    """One set of MASSIVE figures (fractions in [0, 1]) with standard errors."""

    intent_accuracy: float
    intent_accuracy_stderr: float
    slot_micro_f1: float
    slot_micro_f1_stderr: float
    exact_match: float
    exact_match_stderr: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def score(
    gold_intents: Sequence[str],
    pred_intents: Sequence[str],
    gold_labels: Sequence[Sequence[str]],
    pred_labels: Sequence[Sequence[str]],
) -> Scores:
    """Score one set of utterances (usually one locale) as the official evaluation does."""
    n = len(gold_intents)
    if not (n == len(pred_intents) == len(gold_labels) == len(pred_labels)):
        raise ValueError(
            f"score: {n} gold intents, {len(pred_intents)} predicted intents, {len(gold_labels)} gold "
            f"label sequences and {len(pred_labels)} predicted ones: expected the same number of each"
        )
    if n == 0:
        raise ValueError("score: no utterances to score")
    gold_bio = [to_bio(g) for g in gold_labels]
    pred_bio = [to_bio(fit_to_gold(p, len(g))) for p, g in zip(pred_labels, gold_labels)]
    intent_ok = [g == p for g, p in zip(gold_intents, pred_intents)]
    ia = sum(intent_ok) / n
    with warnings.catch_warnings():  # no spans at all: seqeval warns and returns 0, as the official eval does
        warnings.simplefilter("ignore")
        f1 = float(f1_score(gold_bio, pred_bio))
    words = sum(len(t) for t in pred_bio)
    em = sum(ok and gb == pb for ok, gb, pb in zip(intent_ok, gold_bio, pred_bio)) / n
    return Scores(ia, binomial_stderr(ia, n), f1, binomial_stderr(f1, words), em, binomial_stderr(em, n), n)


def mean_scores(per_group: Sequence[Scores]) -> Scores:
    """Unweighted mean over groups (locales), as MASSIVE reports; stderr of a mean of independent estimates."""
    k = len(per_group)
    if k == 0:
        raise ValueError("mean_scores: no groups")

    def mean(attr: str) -> float:
        return sum(getattr(s, attr) for s in per_group) / k

    def se(attr: str) -> float:
        return math.sqrt(sum(getattr(s, attr) ** 2 for s in per_group)) / k

    return Scores(
        mean("intent_accuracy"),
        se("intent_accuracy_stderr"),
        mean("slot_micro_f1"),
        se("slot_micro_f1_stderr"),
        mean("exact_match"),
        se("exact_match_stderr"),
        sum(s.n for s in per_group),
    )
