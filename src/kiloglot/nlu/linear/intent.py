"""Intent classifier: TF-IDF over word and character n-grams, a linear SVM, softmax confidences."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kiloglot.nlu.linear.index import FeatureIndex


@dataclass(frozen=True)
class SparseWeights:
    """A (n_features, n_intents) weight matrix in compressed rows: what is left after pruning.

    The kept weights are int8 on one scale (``values * scale``): pruning keeps the largest weights, so
    they share a range and 8 bits lose nothing measurable (on 5 locales of the full-data compact
    model, dev EM within +-0.05 of float16), and the file is ~40 % smaller. Models saved before
    carry float16 values and scale 1.
    """

    indptr: np.ndarray  # (n_features + 1,) int32
    columns: np.ndarray  # (nnz,) uint16: the intent of each weight
    values: np.ndarray  # (nnz,) int8 (or float16 in models saved before quantisation)
    scale: float = 1.0

    @property
    def shape_rows(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_dense(cls, w: np.ndarray) -> SparseWeights:
        rows, cols = np.nonzero(w)
        indptr = np.zeros(w.shape[0] + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=w.shape[0]), out=indptr[1:])
        return cls(indptr, cols.astype(np.uint16), w[rows, cols].astype(np.float32)).quantised()

    def quantised(self) -> SparseWeights:
        """The same weights as int8 on one symmetric scale (itself when already int8)."""
        if self.values.dtype == np.int8:
            return self
        v = self.values.astype(np.float32) * self.scale
        top = float(np.abs(v).max()) if len(v) else 0.0
        scale = float(np.float32(top / 127)) if top > 0 else 1.0  # float32: what the file stores
        return SparseWeights(self.indptr, self.columns, np.clip(np.rint(v / scale), -127, 127).astype(np.int8), scale)

    def to_dense(self, n_intents: int) -> np.ndarray:
        out = np.zeros((self.shape_rows, n_intents), dtype=np.float32)
        rows = np.repeat(np.arange(self.shape_rows), np.diff(self.indptr))
        out[rows, self.columns] = self.values.astype(np.float32) * self.scale
        return out

    def combine(self, ix: np.ndarray, vals: np.ndarray, n_intents: int) -> np.ndarray:
        """``vals @ W[ix]`` without building the dense rows."""
        return self.combine_groups(ix, vals, np.zeros(len(ix), dtype=np.intp), 1, n_intents)[0]

    def combine_groups(
        self, ix: np.ndarray, vals: np.ndarray | None, groups: np.ndarray, n_groups: int, n_columns: int
    ) -> np.ndarray:
        """(n_groups, n_columns): for each group g, the sum of ``vals[k] * W[ix[k]]`` over the k with
        ``groups[k] == g`` (``vals`` None: all ones), without building the dense rows."""
        starts, lengths = self.indptr[ix], self.indptr[ix + 1] - self.indptr[ix]
        total = int(lengths.sum())
        if not total:
            return np.zeros((n_groups, n_columns), dtype=np.float32)
        firsts = np.cumsum(lengths) - lengths
        at = np.repeat(starts - firsts, lengths) + np.arange(total)
        cells = np.repeat(groups, lengths) * n_columns + self.columns[at]
        weights = self.values[at] if vals is None else np.repeat(vals, lengths) * self.values[at]
        summed = np.bincount(cells, weights=weights, minlength=n_groups * n_columns)
        return (summed * self.scale).astype(np.float32).reshape(n_groups, n_columns)


@dataclass
class IntentModel:
    """Compiled for fast one-utterance scoring: a feature index, idf weights and a weight matrix."""

    vocabulary: FeatureIndex  # feature string -> row of idf and weights
    idf: np.ndarray  # (n_features,) float32
    weights: np.ndarray | SparseWeights  # (n_features, n_intents) float16 or float32, dense or pruned
    bias: np.ndarray  # (n_intents,) float32
    intents: list[str]
    temperature: float

    def pruned(self, density: float) -> IntentModel:
        """Keep the largest-magnitude ``density`` fraction of the weights; features left with no weight
        leave the vocabulary. Keeping 5 % cost 0.1-1.1 dev intent accuracy points on 4 MASSIVE locales
        (benchmarks/results/linear_compaction.json)."""
        if density >= 1.0:
            return self
        if isinstance(self.weights, SparseWeights):
            raise ValueError("the intent weights are already pruned")
        w = self.weights.astype(np.float32)
        keep = max(1, round(density * w.size))
        kept = np.zeros(w.size, dtype=bool)
        kept[np.argpartition(np.abs(w).ravel(), w.size - keep)[w.size - keep :]] = True
        w = np.where(kept.reshape(w.shape), w, 0.0)
        rows = np.flatnonzero(np.any(w != 0, axis=1))
        new_index = np.full(len(w), -1, dtype=np.int64)
        new_index[rows] = np.arange(len(rows))
        names = self.vocabulary.names()
        vocabulary = FeatureIndex([names[r] for r in rows])  # rows ascending: new_index order
        # idf on the float16 grid: a pruned model stores it as float16, and a reload must parse the same.
        idf = self.idf[rows].astype(np.float16).astype(np.float32)
        return IntentModel(
            vocabulary, idf, SparseWeights.from_dense(w[rows]), self.bias, self.intents, self.temperature
        )

    @classmethod
    def fit(
        cls,
        docs: Sequence[list[str]],
        labels: Sequence[str],
        *,
        c: float = 0.5,
        min_df: int = 2,
        dev_docs: Sequence[list[str]] | None = None,
        dev_labels: Sequence[str] | None = None,
        density: float = 1.0,
    ) -> IntentModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=min_df, dtype=np.float32)
        x = vec.fit_transform(docs)
        svm = LinearSVC(C=c).fit(x, labels)
        intents = [str(k) for k in svm.classes_]
        coef = svm.coef_ if len(intents) > 2 else np.vstack([-svm.coef_[0], svm.coef_[0]])
        bias = svm.intercept_ if len(intents) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
        model = cls(
            vocabulary=FeatureIndex([str(f) for f in vec.get_feature_names_out()]),
            idf=vec.idf_.astype(np.float32),
            weights=np.ascontiguousarray(coef.T.astype(np.float16)),
            bias=bias.astype(np.float32),
            intents=intents,
            temperature=5.0,
        ).pruned(density)
        if dev_docs and dev_labels:
            model.temperature = model._fit_temperature(dev_docs, dev_labels)
        return model

    def scores(self, doc: list[str]) -> np.ndarray:
        counts = Counter(doc)
        rows = self.vocabulary.rows(np.fromiter((hash(f) for f in counts), dtype=np.int64, count=len(counts)))
        found = rows >= 0
        if not found.any():
            return self.bias.copy()
        ix = rows[found]
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[found])
        vals = tf.astype(np.float32) * self.idf[ix]
        vals /= np.linalg.norm(vals)
        if isinstance(self.weights, SparseWeights):
            return self.weights.combine(ix, vals, len(self.bias)) + self.bias
        return vals @ self.weights[ix].astype(np.float32) + self.bias

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        z = scores * self.temperature
        z = np.exp(z - z.max())
        return z / z.sum()

    def _fit_temperature(self, docs: Sequence[list[str]], labels: Sequence[str]) -> float:
        """Pick the softmax temperature that minimises dev negative log-likelihood."""
        index = {k: i for i, k in enumerate(self.intents)}
        pairs = [(self.scores(d), index[y]) for d, y in zip(docs, labels) if y in index]
        if not pairs:
            return self.temperature
        s = np.stack([p[0] for p in pairs])
        y = np.array([p[1] for p in pairs])
        best, best_nll = self.temperature, math.inf
        for t in np.geomspace(0.5, 50, 40):
            z = s * t
            z = z - z.max(axis=1, keepdims=True)
            nll = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))
            if nll < best_nll:
                best, best_nll = float(t), nll
        return best
