"""Does a later turn restate an earlier one? A logistic regression over features of the two turns.

Features: character trigram and word overlap of the two texts, how many of the first parse's slot
values the second text repeats, whether the two parses share an intent, whether the first turn
visibly failed (a fallback or "please rephrase"), its confidence, the time between them, their length
ratio, and whether the second one repeats the first word for word. An optional sentence embedding
(``embed``: texts -> unit vectors, e.g. multilingual-e5) adds their cosine; a detector fitted with one
must be used with one.

The packaged default (``rephrase_default.json``) is fitted on labelled pairs from simulated traffic on
MASSIVE train in eight locales (``benchmarks/selflearn.py``); its precision and recall on held-out pairs
from dev are in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiloglot.assistant.rewriter import normalize_utterance
from kiloglot.errors import InputError
from kiloglot.fileio import write_text_atomic

FAILED_ACTIONS = frozenset({"fallback", "rephrase"})
FEATURES = (
    "char_trigram_jaccard",
    "word_jaccard",
    "slot_values_repeated",
    "first_has_slots",
    "same_intent",
    "first_failed",
    "first_confidence",
    "log_gap",
    "length_ratio",
    "identical",
)
EMBEDDING_FEATURE = "embedding_cosine"
Embedder = Callable[[Sequence[str]], np.ndarray]


class TurnLike(Protocol):
    """What the detector reads of a logged turn (``kg_turns`` rows have it)."""

    text: str
    intent: str
    confidence: float
    parse: dict[str, Any]
    action: str


def _trigrams(norm: str) -> set[str]:
    padded = f" {norm} "
    return {padded[i : i + 3] for i in range(max(len(padded) - 2, 1))}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _slot_values(parse: dict[str, Any]) -> list[str]:
    return [normalize_utterance(str(s.get("value", ""))) for s in parse.get("slots", []) if s.get("value")]


def pair_features(first: TurnLike, second: TurnLike, gap_seconds: float) -> list[float]:
    """The features of (``first``, ``second``), ``gap_seconds`` apart, in the order of ``FEATURES``."""
    a, b = normalize_utterance(first.text), normalize_utterance(second.text)
    values = [v for v in _slot_values(first.parse) if v]
    squashed = re.sub(r"\s+", "", b)
    repeated = sum(re.sub(r"\s+", "", v) in squashed for v in values) / len(values) if values else 0.0
    longer = max(len(a), len(b)) or 1
    return [
        _jaccard(_trigrams(a), _trigrams(b)),
        _jaccard(set(a.split()), set(b.split())),
        repeated,
        1.0 if values else 0.0,
        1.0 if first.intent == second.intent else 0.0,
        1.0 if first.action in FAILED_ACTIONS else 0.0,
        float(first.confidence),
        math.log1p(max(gap_seconds, 0.0)) / math.log1p(3600.0),
        min(len(a), len(b)) / longer,
        1.0 if a == b else 0.0,
    ]


@dataclass
class RephraseDetector:
    """``probability(first, second, gap)``: how likely ``second`` restates ``first``; ``is_rephrase`` applies
    the threshold chosen at fitting time."""

    coef: list[float]
    intercept: float
    threshold: float = 0.5
    features: tuple[str, ...] = FEATURES
    embed: Embedder | None = None
    fitted_on: str = ""

    @classmethod
    def fit(
        cls,
        pairs: Sequence[tuple[TurnLike, TurnLike, float]],
        labels: Sequence[bool],
        *,
        embed: Embedder | None = None,
        threshold: float = 0.5,
        fitted_on: str = "",
    ) -> RephraseDetector:
        """Fitted on (first, second, gap) pairs labelled True where the second restates the first."""
        from sklearn.linear_model import LogisticRegression

        if len(pairs) != len(labels) or len(set(labels)) < 2:
            raise InputError("rephrase pairs: expected as many labels as pairs, with both True and False among them")
        names = FEATURES + ((EMBEDDING_FEATURE,) if embed else ())
        x = _matrix(pairs, embed)
        model = LogisticRegression(C=1.0, max_iter=1000).fit(x, np.asarray(labels, dtype=int))
        return cls(
            [float(c) for c in model.coef_[0]],
            float(model.intercept_[0]),
            threshold,
            names,
            embed,
            fitted_on,
        )

    def probabilities(self, pairs: Sequence[tuple[TurnLike, TurnLike, float]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0)
        if (EMBEDDING_FEATURE in self.features) != (self.embed is not None):
            raise InputError("this rephrase detector was fitted with a sentence embedding: give it the same embed")
        z = _matrix(pairs, self.embed) @ np.asarray(self.coef) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def probability(self, first: TurnLike, second: TurnLike, gap_seconds: float) -> float:
        return float(self.probabilities([(first, second, gap_seconds)])[0])

    def is_rephrase(self, first: TurnLike, second: TurnLike, gap_seconds: float) -> bool:
        return self.probability(first, second, gap_seconds) >= self.threshold

    # -- persistence (JSON: coefficients only, nothing executable) -------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "coef": self.coef,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "fitted_on": self.fitted_on,
        }

    def save(self, path: str | Path) -> Path:
        write_text_atomic(path, json.dumps(self.to_dict(), indent=1) + "\n")
        return Path(path)

    @classmethod
    def from_dict(cls, d: dict[str, Any], embed: Embedder | None = None) -> RephraseDetector:
        try:
            features = tuple(str(f) for f in d["features"])
            coef = [float(c) for c in d["coef"]]
            intercept, threshold = float(d["intercept"]), float(d.get("threshold", 0.5))
        except (KeyError, TypeError, ValueError):
            raise InputError("rephrase detector: expected JSON with features, coef, intercept, threshold") from None
        if features not in (FEATURES, (*FEATURES, EMBEDDING_FEATURE)) or len(coef) != len(features):
            raise InputError(f"rephrase detector: features {features} are not the ones this version computes")
        return cls(coef, intercept, threshold, features, embed, str(d.get("fitted_on", "")))

    @classmethod
    def load(cls, path: str | Path, embed: Embedder | None = None) -> RephraseDetector:
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"rephrase detector {path}: cannot read it ({exc})") from None
        return cls.from_dict(d, embed)


def _matrix(pairs: Sequence[tuple[TurnLike, TurnLike, float]], embed: Embedder | None) -> np.ndarray:
    x = np.asarray([pair_features(a, b, gap) for a, b, gap in pairs], dtype=np.float64)
    if embed is None:
        return x
    first = embed([a.text for a, _, _ in pairs])
    second = embed([b.text for _, b, _ in pairs])
    return np.hstack([x, np.sum(first * second, axis=1, keepdims=True)])


def default_detector() -> RephraseDetector:
    """The packaged detector (fitted on simulated MASSIVE-train traffic in eight locales)."""
    text = resources.files("kiloglot.learn.selflearn").joinpath("rephrase_default.json").read_text(encoding="utf-8")
    return RephraseDetector.from_dict(json.loads(text))
