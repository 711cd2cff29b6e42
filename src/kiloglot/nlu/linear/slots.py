"""Slot taggers: a linear-chain CRF over word features, one label per word.

Training is python-crfsuite's (L-BFGS, L1 + L2). Two ways to keep and run the trained model:

- ``SlotTagger``: crfsuite's own binary file and tagger (float64 weights, every attribute string in a
  trie): the accuracy configuration.
- ``CompactTagger``: the same CRF read out of that file, its largest state weights kept (``density``)
  as int8 on one scale in compressed rows, decoded by Viterbi in NumPy. With every weight kept it
  labels as crfsuite does except where quantisation moves a near-tie; it is several times smaller,
  which is what lets the compact configuration keep the weak-L1 CRF (``crf_c1`` 0.05) inside its
  size budget instead of a strong-L1 one that costs ~3 dev EM points on en-US.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pycrfsuite

from kiloglot.nlu.linear.index import FeatureIndex
from kiloglot.nlu.linear.intent import SparseWeights


def train_crf(
    sequences: Sequence[list[list[str]]], labels: Sequence[Sequence[str]], *, c1: float, c2: float, max_iterations: int
) -> bytes:
    """Train with L-BFGS (L1 + L2) and return the model in crfsuite's own binary format."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(sequences, labels):
        trainer.append(xseq, list(yseq))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations, "feature.possible_transitions": True})
    fd, path = tempfile.mkstemp(suffix=".crfsuite")
    os.close(fd)
    try:
        trainer.train(path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


class SlotTagger:
    """crfsuite's tagger over its own model file."""

    def __init__(self, model: bytes) -> None:
        self.model = model
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(model)

    def tag(self, features: list[list[str]]) -> list[str]:
        return list(self._tagger.tag(features)) if features else []

    def compact(self, density: float = 1.0) -> CompactTagger:
        return CompactTagger.from_crfsuite(self.model, density)


@dataclass(frozen=True)
class CompactTagger:
    """A first-order linear-chain CRF: state weights (attribute x label), sparse and int8, and a dense
    label-to-label transition matrix. crfsuite scores a labelling as the sum of the state weights of
    each word's attributes for its label plus the transitions between neighbouring labels (no start
    or end weights); Viterbi finds the best one."""

    attributes: FeatureIndex  # sorted strings (neighbours share prefixes, which compresses on disk)
    labels: list[str]
    state: SparseWeights  # (n_attributes, n_labels)
    transitions: np.ndarray  # (n_labels, n_labels) float32, [from, to]

    @classmethod
    def from_crfsuite(cls, model: bytes, density: float = 1.0) -> CompactTagger:
        """Read a crfsuite model's weights and keep the ``density`` fraction of largest-magnitude state
        weights; attributes left with none are dropped."""
        if not 0.0 < density <= 1.0:
            raise ValueError(f"density {density}: expected a fraction in (0, 1]")
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(model)
        info = tagger.info()
        labels = list(tagger.labels())
        label_index = {k: i for i, k in enumerate(labels)}
        transitions = np.zeros((len(labels), len(labels)), dtype=np.float32)
        for (src, dst), w in info.transitions.items():
            transitions[label_index[src], label_index[dst]] = w
        features = list(info.state_features.items())
        weights = np.array([w for _, w in features], dtype=np.float32)
        keep = np.ones(len(features), dtype=bool)
        if density < 1.0 and len(features):
            n = max(1, round(density * len(features)))
            keep[:] = False
            keep[np.argpartition(np.abs(weights), len(weights) - n)[len(weights) - n :]] = True
        kept = [(attr, label_index[label]) for ((attr, label), _), k in zip(features, keep) if k]
        names = sorted({attr for attr, _ in kept})
        row = {a: i for i, a in enumerate(names)}
        dense = np.zeros((len(names), len(labels)), dtype=np.float32)
        dense[[row[a] for a, _ in kept], [c for _, c in kept]] = weights[keep]
        return cls(FeatureIndex(names), labels, SparseWeights.from_dense(dense), transitions)

    def tag(self, features: list[list[str]]) -> list[str]:
        if not features:
            return []
        lengths = [len(f) for f in features]
        hashes = np.fromiter((hash(f) for feats in features for f in feats), dtype=np.int64, count=sum(lengths))
        rows = self.attributes.rows(hashes)
        word_of = np.repeat(np.arange(len(features)), lengths)
        found = rows >= 0
        emit = self.state.combine_groups(rows[found], None, word_of[found], len(features), len(self.labels))
        return [self.labels[i] for i in _viterbi(emit, self.transitions)]


def _viterbi(emit: np.ndarray, transitions: np.ndarray) -> list[int]:
    score = emit[0]
    back = []
    for t in range(1, len(emit)):
        cand = score[:, None] + transitions  # [from, to]
        best_from = cand.argmax(axis=0)
        back.append(best_from)
        score = cand[best_from, np.arange(len(score))] + emit[t]
    path = [int(score.argmax())]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    return path[::-1]
