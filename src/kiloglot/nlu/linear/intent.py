"""Intent classifier: TF-IDF over word and character n-grams, a linear SVM, softmax confidences."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class IntentModel:
    """Compiled for fast one-utterance scoring: a feature index, idf weights and a weight matrix."""

    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,) float32
    weights: np.ndarray  # (n_features, n_intents) float16 or float32
    bias: np.ndarray  # (n_intents,) float32
    intents: list[str]
    temperature: float

    @classmethod
    def fit(cls, docs: Sequence[list[str]], labels: Sequence[str], *, c: float = 0.5, min_df: int = 2,
            dev_docs: Sequence[list[str]] | None = None, dev_labels: Sequence[str] | None = None) -> "IntentModel":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, min_df=min_df, dtype=np.float32)
        x = vec.fit_transform(docs)
        svm = LinearSVC(C=c).fit(x, labels)
        intents = [str(k) for k in svm.classes_]
        coef = svm.coef_ if len(intents) > 2 else np.vstack([-svm.coef_[0], svm.coef_[0]])
        bias = svm.intercept_ if len(intents) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
        model = cls(
            vocabulary={str(k): int(v) for k, v in vec.vocabulary_.items()},
            idf=vec.idf_.astype(np.float32),
            weights=np.ascontiguousarray(coef.T.astype(np.float16)),
            bias=bias.astype(np.float32),
            intents=intents,
            temperature=5.0,
        )
        if dev_docs and dev_labels:
            model.temperature = model._fit_temperature(dev_docs, dev_labels)
        return model

    def scores(self, doc: list[str]) -> np.ndarray:
        counts = Counter(doc)
        idx, tf = [], []
        vocab = self.vocabulary
        for feat, cnt in counts.items():
            k = vocab.get(feat)
            if k is not None:
                idx.append(k)
                tf.append(1.0 + math.log(cnt))
        if not idx:
            return self.bias.copy()
        ix = np.asarray(idx, dtype=np.intp)
        vals = np.asarray(tf, dtype=np.float32) * self.idf[ix]
        vals /= np.linalg.norm(vals)
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
