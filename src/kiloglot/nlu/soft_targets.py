"""A teacher's soft targets: what distillation passes from teacher to student, in NumPy (no PyTorch),
so that training a linear student never imports it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class SoftTargets:
    """Teacher distributions for N utterances: intents [N, I]; slots: one [words, S] array per utterance,
    in the teacher's label order (``intents`` and ``slots`` name the columns)."""

    intent_probs: np.ndarray
    slot_probs: list[np.ndarray]
    intents: list[str]
    slots: list[str]

    def __len__(self) -> int:
        return len(self.slot_probs)

    def reorder(self, intents: Sequence[str], slots: Sequence[str]) -> SoftTargets:
        """The same distributions over another (super)set of labels; new labels get probability 0."""
        ii = [list(intents).index(k) for k in self.intents]
        si = [list(slots).index(k) for k in self.slots]
        ip = np.zeros((len(self), len(intents)), dtype=np.float32)
        ip[:, ii] = self.intent_probs
        sp = []
        for a in self.slot_probs:
            b = np.zeros((a.shape[0], len(slots)), dtype=np.float32)
            b[:, si] = a
            sp.append(b)
        return SoftTargets(ip, sp, list(intents), list(slots))
