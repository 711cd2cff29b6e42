"""The linear parser's options: what its model is and how it is learned."""

from __future__ import annotations

from dataclasses import dataclass

from kiloglot.errors import InputError


@dataclass(frozen=True)
class LinearOptions:
    intent_c: float = 0.5  # SVM regularisation of the intent classifier
    intent_min_df: int = 2  # features seen in fewer training utterances are dropped
    crf_c1: float = 0.05  # L1 of the slot CRF (larger: fewer features)
    crf_c2: float = 0.01  # L2 of the slot CRF
    crf_iterations: int = 100  # L-BFGS iterations of the slot CRF
    intent_conditioned_slots: bool = True  # CRF features conjoined with the (predicted) intent
    top_k: int = 3  # intents reported per parse
    # Fraction of intent weights kept (largest magnitudes); below 1 the weights are stored sparse and
    # features left without weights leave the vocabulary. With a larger crf_c1 (L1: fewer CRF
    # features) this is the compact configuration for small students (docs/experiments.md).
    intent_density: float = 1.0
    # Keep the CRF as a CompactTagger (int8 weights in NumPy, 6-8x smaller than crfsuite's gzipped file,
    # same labels but for quantisation near-ties) instead of crfsuite's model: what makes the weak-L1 CRF
    # fit the compact configuration.
    compact_slots: bool = False
    # Thai, Khmer and Lao examples also train as typed without spaces, cut into words by the language's
    # segmenter (data/unspaced.py). Unspaced dev input: exact match th-TH 40.8 -> 57.4, km-KH 40.8 -> 54.8;
    # MASSIVE's spaced dev: 69.0 -> 66.2 and 65.0 -> 62.9 (benchmarks/results/unspaced_input*.md). Off by
    # default, which keeps the numbers comparable with the paper's; on for users who type without spaces.
    unspaced_copies: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.intent_density <= 1.0:
            raise InputError(f"intent_density {self.intent_density:g}: expected a fraction in (0, 1]")
        if self.crf_c1 < 0 or self.crf_c2 < 0:
            raise InputError(f"crf_c1 {self.crf_c1:g}, crf_c2 {self.crf_c2:g}: expected non-negative numbers")
        if self.intent_c <= 0:
            raise InputError(f"intent_c {self.intent_c:g}: expected a positive number")
        if self.crf_iterations < 1 or self.top_k < 1 or self.intent_min_df < 1:
            raise InputError(
                f"crf_iterations {self.crf_iterations}, top_k {self.top_k}, intent_min_df {self.intent_min_df}: "
                "expected whole numbers of at least 1"
            )


@dataclass(frozen=True)
class LinearRuntime:
    """How training uses the machine; not part of what the model is."""

    jobs: int | None = None  # worker processes, one locale each (None or 0: every core)

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 0:
            raise InputError(f"jobs {self.jobs}: expected a whole number of worker processes (0: every core)")
