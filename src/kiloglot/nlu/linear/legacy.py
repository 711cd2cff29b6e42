"""Reading linear models saved in artifact format 1, whose storage the format-1 upgrade names.

Format 1 had no storage declaration; ``kiloglot.nlu.artifact`` tells its layouts apart once, when it
upgrades the manifest, and names them here:

- ``v1-uncompressed``: plain JSON vocabulary, dense ``.npy`` weights, plain crfsuite file;
- ``v1-gzip`` / ``v1-xz``: ``intent.npz`` with dense ``weights``, or sparse rows as row pointers and
  float16 values (the first sparse layout), or as per-row counts and int8 values (as format 2), and a
  gzip- or xz-compressed vocabulary.

``kiloglot upgrade MODEL`` rewrites such a model in the current format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kiloglot.errors import ModelError
from kiloglot.nlu.artifact import read_json
from kiloglot.nlu.linear.intent import SparseWeights
from kiloglot.nlu.linear.slots import SlotTagger
from kiloglot.nlu.linear.storage import (
    COMPACT_SLOT_STRINGS,
    COMPACT_SLOTS,
    CRFSUITE_SLOTS,
    INTENT_META,
    INTENT_WEIGHTS,
    READ_ERRORS,
    LocaleModel,
    intent_model,
    load_slots,
    read_strings,
    row_pointers,
)

UNCOMPRESSED = ("intent_vocab.json", "intent_idf.npy", "intent_weights.npy", "intent_bias.npy", INTENT_META)


def locale_files_v1(storage: dict[str, str]) -> tuple[str, ...]:
    if storage["intent"] == "v1-uncompressed":
        return (*UNCOMPRESSED, "slots.crfsuite")
    vocab = "intent_vocab.json.gz" if storage["intent"] == "v1-gzip" else "intent_vocab.json.xz"
    slots = (CRFSUITE_SLOTS,) if storage["slots"] == "crfsuite" else (COMPACT_SLOTS, COMPACT_SLOT_STRINGS)
    return (INTENT_WEIGHTS, vocab, INTENT_META, *slots)


def load_locale_v1(d: Path, storage: dict[str, str]) -> LocaleModel:
    try:
        meta = read_json(d / INTENT_META)
        weights: np.ndarray | SparseWeights
        if storage["intent"] == "v1-uncompressed":
            vocab = read_json(d / "intent_vocab.json")
            idf = np.load(d / "intent_idf.npy", allow_pickle=False)
            weights = np.load(d / "intent_weights.npy", allow_pickle=False)
            bias = np.load(d / "intent_bias.npy", allow_pickle=False)
            intent = intent_model(vocab, idf, weights, bias, meta)
            return LocaleModel(intent, SlotTagger((d / "slots.crfsuite").read_bytes()))
        vocab = read_strings(d / ("intent_vocab.json.gz" if storage["intent"] == "v1-gzip" else "intent_vocab.json.xz"))
        with np.load(d / INTENT_WEIGHTS, allow_pickle=False) as z:
            idf, bias = z["idf"].astype(np.float32), z["bias"]
            if "counts" in z.files:
                weights = SparseWeights(
                    row_pointers(z["counts"]), z["columns"].astype(np.uint16), z["values"], float(z["scale"])
                )
            elif "indptr" in z.files:  # the first sparse layout: row pointers, float16 weights
                weights = SparseWeights(z["indptr"], z["columns"], z["values"])
            else:
                weights = z["weights"]
        return LocaleModel(intent_model(vocab, idf, weights, bias, meta), load_slots(d, storage))
    except READ_ERRORS as exc:
        raise ModelError(f"model files in {d} are corrupt: {exc}") from None
