"""Slot tagger: a linear-chain CRF (python-crfsuite) over word features, one label per word."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

import pycrfsuite


def train_crf(sequences: Sequence[list[list[str]]], labels: Sequence[Sequence[str]], *, c1: float, c2: float,
              max_iterations: int) -> bytes:
    """Train with L-BFGS (L1 + L2) and return the model in crfsuite's own binary format."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(sequences, labels):
        trainer.append(xseq, list(yseq))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations,
                        "feature.possible_transitions": True})
    fd, path = tempfile.mkstemp(suffix=".crfsuite")
    os.close(fd)
    try:
        trainer.train(path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


class SlotTagger:
    def __init__(self, model: bytes) -> None:
        self.model = model
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(model)

    def tag(self, features: list[list[str]]) -> list[str]:
        return list(self._tagger.tag(features)) if features else []
