"""How a linear model's locale is stored on disk (artifact format 2), and read back.

Per locale folder: the intent model (``intent.npz``, the feature vocabulary as xz-compressed JSON,
``intent_meta.json``) and the slot CRF, either crfsuite's own model gzipped (``slots.crfsuite.gz``) or
the compact int8 CRF (``slots.npz`` + ``slots_attributes.json.xz``). The manifest's ``storage`` says
which (``{"intent": "dense" | "sparse-int8", "slots": "crfsuite" | "compact-int8"}``); nothing is
inferred from which files exist. Feature strings are sorted JSON lists compressed with xz (LZMA): on
the compact model that is ~40 % smaller than gzip, most of the file budget.
"""

from __future__ import annotations

import gzip
import json
import lzma
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.errors import ModelError
from kiloglot.nlu.artifact import read_json, write_json
from kiloglot.nlu.linear.index import FeatureIndex
from kiloglot.nlu.linear.intent import IntentModel, SparseWeights
from kiloglot.nlu.linear.slots import CompactTagger, SlotTagger

INTENT_WEIGHTS = "intent.npz"
INTENT_VOCAB = "intent_vocab.json.xz"
INTENT_META = "intent_meta.json"
CRFSUITE_SLOTS = "slots.crfsuite.gz"
COMPACT_SLOTS = "slots.npz"
COMPACT_SLOT_STRINGS = "slots_attributes.json.xz"

INTENT_STORAGES = ("dense", "sparse-int8")
SLOT_STORAGES = ("crfsuite", "compact-int8")
READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zlib.error, lzma.LZMAError, json.JSONDecodeError)


@dataclass
class LocaleModel:
    """One locale's intent classifier and slot tagger."""

    intent: IntentModel
    slots: SlotTagger | CompactTagger


def storage_of(model: LocaleModel) -> dict[str, str]:
    """What ``save_locale`` writes for this model."""
    return {
        "intent": "sparse-int8" if isinstance(model.intent.weights, SparseWeights) else "dense",
        "slots": "crfsuite" if isinstance(model.slots, SlotTagger) else "compact-int8",
    }


def locale_files(storage: dict[str, str]) -> tuple[str, ...]:
    intent = (INTENT_WEIGHTS, INTENT_VOCAB, INTENT_META)
    slots = (CRFSUITE_SLOTS,) if storage["slots"] == "crfsuite" else (COMPACT_SLOTS, COMPACT_SLOT_STRINGS)
    return intent + slots


def write_strings(path: Path, obj: Any) -> None:
    path.write_bytes(lzma.compress(json.dumps(obj, ensure_ascii=False).encode("utf-8"), preset=6))


def read_strings(path: Path) -> Any:
    raw = path.read_bytes()
    return json.loads(lzma.decompress(raw) if path.suffix == ".xz" else gzip.decompress(raw))


def save_locale(m: LocaleModel, d: Path) -> None:
    d.mkdir(parents=True)
    write_strings(d / INTENT_VOCAB, m.intent.vocabulary.names())
    w = m.intent.weights
    arrays: dict[str, Any]
    if isinstance(w, SparseWeights):
        # Per-row counts instead of row pointers, the narrowest integer types, int8 weights with their
        # scale, float16 idf (a pruned model's idf is on that grid).
        q = w.quantised()
        n_intents = len(m.intent.intents)
        counts = np.diff(q.indptr)
        arrays = {
            "counts": counts.astype(np.uint8 if n_intents < 256 else np.uint16),
            "columns": q.columns.astype(np.uint8 if n_intents <= 256 else np.uint16),
            "values": q.values,
            "scale": np.float32(q.scale),
            "idf": m.intent.idf.astype(np.float16),
        }
    else:
        arrays = {"weights": w, "idf": m.intent.idf}
    np.savez_compressed(d / INTENT_WEIGHTS, bias=m.intent.bias, **arrays)
    write_json(d / INTENT_META, {"intents": m.intent.intents, "temperature": m.intent.temperature})
    if isinstance(m.slots, SlotTagger):
        (d / CRFSUITE_SLOTS).write_bytes(gzip.compress(m.slots.model, compresslevel=6))
    else:
        save_compact_slots(m.slots, d)


def save_compact_slots(t: CompactTagger, d: Path) -> None:
    write_strings(d / COMPACT_SLOT_STRINGS, {"labels": t.labels, "attributes": t.attributes.names()})
    q = t.state.quantised()
    counts = np.diff(q.indptr)
    np.savez_compressed(
        d / COMPACT_SLOTS,
        counts=counts.astype(np.uint8 if counts.max(initial=0) < 256 else np.uint16),
        columns=q.columns.astype(np.uint8 if len(t.labels) <= 256 else np.uint16),
        values=q.values,
        scale=np.float32(q.scale),
        transitions=t.transitions.astype(np.float32),
    )


def load_locale(d: Path, storage: dict[str, str]) -> LocaleModel:
    """A locale folder written by ``save_locale``; corrupt files are a ModelError naming the folder."""
    try:
        meta = read_json(d / INTENT_META)
        vocab = read_strings(d / INTENT_VOCAB)
        with np.load(d / INTENT_WEIGHTS, allow_pickle=False) as z:
            bias = z["bias"]
            if storage["intent"] == "sparse-int8":
                idf = z["idf"].astype(np.float32)
                weights: np.ndarray | SparseWeights = SparseWeights(
                    row_pointers(z["counts"]), z["columns"].astype(np.uint16), z["values"], float(z["scale"])
                )
            else:
                idf, weights = z["idf"].astype(np.float32), z["weights"]
        return LocaleModel(intent_model(vocab, idf, weights, bias, meta), load_slots(d, storage))
    except READ_ERRORS as exc:
        raise ModelError(f"model files in {d} are corrupt: {exc}") from None


def load_slots(d: Path, storage: dict[str, str]) -> SlotTagger | CompactTagger:
    """A locale's slot tagger in the storage the manifest names (crfsuite's gzipped file, or int8)."""
    if storage["slots"] == "crfsuite":
        return SlotTagger(gzip.decompress((d / CRFSUITE_SLOTS).read_bytes()))
    return load_compact_slots(d)


def row_pointers(counts: np.ndarray) -> np.ndarray:
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr.astype(np.int32)


def intent_model(
    vocab: list[str], idf: np.ndarray, weights: np.ndarray | SparseWeights, bias: np.ndarray, meta: dict[str, Any]
) -> IntentModel:
    """An IntentModel from stored arrays, after checking that their shapes agree."""
    n_intents = len(meta["intents"])
    if isinstance(weights, SparseWeights):
        ptr = weights.indptr
        ok = (
            weights.shape_rows == len(vocab)
            and len(ptr) > 0
            and ptr[0] == 0
            and bool(np.all(np.diff(ptr) >= 0))
            and len(weights.columns) == len(weights.values) == ptr[-1]
            and weights.values.dtype in (np.int8, np.float16)
            and np.isfinite(weights.scale)
            and weights.scale > 0
            and (len(weights.columns) == 0 or int(weights.columns.max()) < n_intents)
        )
    else:
        ok = weights.shape == (len(vocab), n_intents)
    if not ok or idf.shape != (len(vocab),) or bias.shape != (n_intents,):
        raise ValueError("weight shapes do not match the vocabulary and intents")
    return IntentModel(FeatureIndex(vocab), idf, weights, bias, meta["intents"], float(meta["temperature"]))


def load_compact_slots(d: Path) -> CompactTagger:
    meta = read_strings(d / COMPACT_SLOT_STRINGS)
    labels, attributes = list(meta["labels"]), list(meta["attributes"])
    with np.load(d / COMPACT_SLOTS, allow_pickle=False) as z:
        counts, columns, values = z["counts"], z["columns"].astype(np.uint16), z["values"]
        scale, transitions = float(z["scale"]), z["transitions"].astype(np.float32)
    indptr = row_pointers(counts)
    n = len(labels)
    if (
        len(counts) != len(attributes)
        or len(columns) != len(values)
        or indptr[-1] != len(values)
        or values.dtype != np.int8
        or not (np.isfinite(scale) and scale > 0)
        or (len(columns) and int(columns.max()) >= n)
        or transitions.shape != (n, n)
    ):
        raise ValueError("slot weight shapes do not match the attributes and labels")
    return CompactTagger(FeatureIndex(attributes), labels, SparseWeights(indptr, columns, values, scale), transitions)
