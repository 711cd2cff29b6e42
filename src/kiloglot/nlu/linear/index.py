"""A read-only map from feature strings to row numbers that costs little memory (see FeatureIndex)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence

import numpy as np


class FeatureIndex:
    """Feature strings -> row numbers in little memory.

    Lookups go through a sorted array of the strings' 64-bit hashes (8 bytes + a 4-byte row each); the
    strings themselves are kept only zlib-compressed, for saving and pruning. Python dicts of the
    strings were most of a 52-locale linear model's serving memory: replacing them took the peak RSS
    of the full-data default model serving all locales from 694 to 487 MB (README). The hash is
    Python's own (per process, so the index is rebuilt after unpickling); a string outside the index
    matches one inside with probability ~1e-15 per lookup, a risk taken knowingly.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._packed = zlib.compress(json.dumps(list(names), ensure_ascii=False).encode("utf-8"), 1)
        self._build(names)

    def _build(self, names: Sequence[str]) -> None:
        hashes = np.fromiter((hash(n) for n in names), dtype=np.int64, count=len(names))
        order = np.argsort(hashes, kind="stable")
        self._sorted = hashes[order]
        self._order = order.astype(np.int32)
        if len(self._sorted) > 1 and bool(np.any(self._sorted[1:] == self._sorted[:-1])):
            raise ValueError("two feature strings share a hash (or one is repeated)")

    def __len__(self) -> int:
        return len(self._sorted)

    def names(self) -> list[str]:
        """The strings, in row order."""
        return json.loads(zlib.decompress(self._packed))

    def rows(self, hashes: np.ndarray) -> np.ndarray:
        """The row of each hashed string, -1 where it is not in the index."""
        if not len(self._sorted):
            return np.full(len(hashes), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, hashes), len(self._sorted) - 1)
        return np.where(self._sorted[at] == hashes, self._order[at], -1)

    def __getstate__(self) -> dict:
        return {"packed": self._packed}

    def __setstate__(self, state: dict) -> None:
        self._packed = state["packed"]
        self._build(self.names())
