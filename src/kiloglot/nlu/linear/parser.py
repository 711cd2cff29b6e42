"""The fast ``linear`` parser: per-locale TF-IDF + linear SVM intents, intent-conditioned CRF slots.

One artifact holds every locale it was trained on; a locale's weights are read from disk the first
time that locale is parsed, so serving a few locales of a 52-locale model costs the memory of few.
"""

from __future__ import annotations

import gzip
import json
import lzma
import os
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.data.codec import spans_from_word_labels
from kiloglot.data.example import OUTSIDE, Example
from kiloglot.data.segmentation import splits_characters, word_offsets
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import atomic_directory, build_manifest, fingerprint, require_files, write_json
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.linear.features import intent_features, word_features
from kiloglot.nlu.linear.index import FeatureIndex
from kiloglot.nlu.linear.intent import IntentModel, SparseWeights
from kiloglot.nlu.linear.slots import CompactTagger, SlotTagger, train_crf
from kiloglot.nlu.parse import Parse, SlotValue
from kiloglot.nlu.registry import register

# Per-locale files, compressed: the intent files and one of the two slot layouts (crfsuite's own model,
# or the compact int8 CRF). Feature strings are sorted JSON lists compressed with xz (LZMA): on the
# compact model that is ~40 % smaller than gzip, most of the file budget. Models saved by earlier
# versions (gzip vocabulary: GZIP_INTENT_VOCAB; or LEGACY_LOCALE_FILES, uncompressed and dense) still load.
INTENT_FILES = ("intent.npz", "intent_vocab.json.xz", "intent_meta.json")
GZIP_INTENT_VOCAB = "intent_vocab.json.gz"
CRFSUITE_SLOT_FILES = ("slots.crfsuite.gz",)
COMPACT_SLOT_FILES = ("slots.npz", "slots_attributes.json.xz")
LOCALE_FILES = INTENT_FILES + CRFSUITE_SLOT_FILES
LEGACY_LOCALE_FILES = (
    "intent_vocab.json",
    "intent_idf.npy",
    "intent_weights.npy",
    "intent_bias.npy",
    "intent_meta.json",
    "slots.crfsuite",
)


@dataclass(frozen=True)
class LinearOptions:
    intent_c: float = 0.5
    intent_min_df: int = 2
    crf_c1: float = 0.05
    crf_c2: float = 0.01
    crf_iterations: int = 100
    intent_conditioned_slots: bool = True
    top_k: int = 3
    # Fraction of intent weights kept (largest magnitudes); below 1 the weights are stored sparse and
    # features left without weights leave the vocabulary. With a larger crf_c1 (L1: fewer CRF
    # features) this is the compact configuration for small students (see README).
    intent_density: float = 1.0
    # Keep the CRF as a CompactTagger (int8 weights in NumPy, 6-8x smaller than crfsuite's gzipped file, same
    # labels but for quantisation near-ties) instead of crfsuite's model: what makes the weak-L1 CRF fit
    # the compact configuration.
    compact_slots: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.intent_density <= 1.0:
            raise InputError(f"intent_density {self.intent_density}: expected a fraction in (0, 1]")
        if not isinstance(self.compact_slots, bool):
            raise InputError(f"compact_slots {self.compact_slots!r}: expected true or false")
        if self.crf_c1 < 0 or self.crf_c2 < 0:
            raise InputError(f"crf_c1 {self.crf_c1}, crf_c2 {self.crf_c2}: expected non-negative numbers")


@dataclass
class LocaleModel:
    intent: IntentModel
    slots: SlotTagger | CompactTagger


def _train_locale(
    locale: str, train: list[Example], dev: list[Example], opts: LinearOptions
) -> tuple[str, LocaleModel, float]:
    """Worker: train one locale's intent model and CRF (runs in a separate process)."""
    t0 = time.perf_counter()
    chars = splits_characters(locale)
    docs = [intent_features(e.text, list(e.words), chars) for e in train]
    dev_docs = [intent_features(e.text, list(e.words), chars) for e in dev] or None
    intent = IntentModel.fit(
        docs,
        [e.intent for e in train],
        c=opts.intent_c,
        min_df=opts.intent_min_df,
        dev_docs=dev_docs,
        dev_labels=[e.intent for e in dev] or None,
        density=opts.intent_density,
    )
    cond = opts.intent_conditioned_slots
    xseqs = [word_features(list(e.words), e.intent if cond else None, chars) for e in train]
    crf = train_crf(
        xseqs, [e.word_labels for e in train], c1=opts.crf_c1, c2=opts.crf_c2, max_iterations=opts.crf_iterations
    )
    slots = CompactTagger.from_crfsuite(crf) if opts.compact_slots else SlotTagger(crf)
    return locale, LocaleModel(intent, slots), time.perf_counter() - t0


def _train_locale_packed(
    args: tuple[str, list[Example], list[Example], LinearOptions],
) -> tuple[str, dict[str, Any], float]:
    locale, model, seconds = _train_locale(*args)
    return locale, _pack(model), seconds


def _pack(m: LocaleModel) -> dict[str, Any]:
    i = m.intent
    return {
        "vocab": i.vocabulary,
        "idf": i.idf,
        "w": i.weights,
        "b": i.bias,
        "intents": i.intents,
        "t": i.temperature,
        "slots": m.slots.model if isinstance(m.slots, SlotTagger) else m.slots,
    }


def _unpack(d: dict[str, Any]) -> LocaleModel:
    slots = d["slots"]  # crfsuite's tagger does not pickle: its model crosses processes as bytes
    return LocaleModel(
        IntentModel(d["vocab"], d["idf"], d["w"], d["b"], d["intents"], d["t"]),
        SlotTagger(slots) if isinstance(slots, bytes) else slots,
    )


@register("linear")
class LinearParser(Parser):
    def __init__(self, jobs: int | None = None, **options: Any) -> None:
        unknown = set(options) - set(LinearOptions.__dataclass_fields__)
        if unknown:
            raise InputError(f"unknown option(s) for the linear parser: {', '.join(sorted(unknown))}")
        self.options = LinearOptions(**options)
        self.jobs = jobs or os.cpu_count() or 1
        self._models: dict[str, LocaleModel] = {}
        self._root: Path | None = None  # artifact directory for lazy loading
        self._locales: list[str] = []
        self.intents: list[str] = []
        self.slot_labels: list[str] = []
        self.data_fingerprint = ""
        self.train_seconds: dict[str, float] = {}

    @property
    def locales(self) -> list[str]:
        return list(self._locales)

    # -- training ------------------------------------------------------------------------------
    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> LinearParser:
        if not train:
            raise InputError("no training examples: expected at least one labelled utterance")
        by_locale: dict[str, list[Example]] = {}
        for ex in train:
            by_locale.setdefault(ex.locale, []).append(ex)
        dev_by_locale: dict[str, list[Example]] = {}
        for ex in dev or ():
            dev_by_locale.setdefault(ex.locale, []).append(ex)
        # Longest jobs first (character locales have the longest word sequences) for load balance.
        order = sorted(by_locale, key=lambda l: -sum(len(e.words) for e in by_locale[l]))
        tasks = [(l, by_locale[l], dev_by_locale.get(l, []), self.options) for l in order]
        self._models = {}
        if self.jobs <= 1 or len(tasks) == 1:
            for task in tasks:
                locale, model, secs = _train_locale(*task)
                self._models[locale], self.train_seconds[locale] = model, secs
                if progress:
                    progress(locale, secs)
        else:
            with ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks))) as pool:
                futures = [pool.submit(_train_locale_packed, t) for t in tasks]
                for fut in as_completed(futures):
                    locale, packed, secs = fut.result()
                    self._models[locale], self.train_seconds[locale] = _unpack(packed), secs
                    if progress:
                        progress(locale, secs)
        self._locales = sorted(by_locale)
        self.intents = sorted({e.intent for e in train})
        self.slot_labels = sorted({l for e in train for l in e.word_labels} | {OUTSIDE})
        self.data_fingerprint = fingerprint(train)
        self._root = None
        return self

    # -- inference -----------------------------------------------------------------------------
    def _model(self, locale: str) -> LocaleModel:
        m = self._models.get(locale)
        if m is None:
            if self._root is None or locale not in self._locales:
                raise InputError(
                    f"this model was not trained on locale {locale!r}: it knows {', '.join(self._locales)}"
                )
            m = self._models[locale] = _load_locale(self._root / "locales" / locale)
        return m

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        return self._parse(texts, locale, None)

    def parse_given_intents(self, texts: Sequence[str], locale: str, intents: Sequence[str]) -> list[Parse]:
        """Parse with each text's intent fixed (e.g. chosen by an ensemble): the CRF labels the slots
        conditioned on that intent, as in training. Confidence and alternatives stay this model's own."""
        if len(intents) != len(texts):
            raise InputError(f"{len(intents)} intents for {len(texts)} texts: expected one intent per text")
        return self._parse(texts, locale, intents)

    def _parse(self, texts: Sequence[str], locale: str, given: Sequence[str] | None) -> list[Parse]:
        self.check_request(texts, locale)
        model = self._model(locale)
        chars = splits_characters(locale)
        cond = self.options.intent_conditioned_slots
        k = self.options.top_k
        intents = model.intent.intents
        out = []
        for n, text in enumerate(texts):
            offsets = word_offsets(text, locale)
            words = [text[s:e] for s, e in offsets]
            probs = model.intent.probabilities(model.intent.scores(intent_features(text, words, chars)))
            top = np.argsort(-probs)[:k]
            if given is None:
                best, confidence = intents[int(top[0])], float(probs[top[0]])
            else:  # an intent this locale never saw in training gets probability 0 (and no CRF weights)
                best = given[n]
                confidence = float(probs[intents.index(best)]) if best in intents else 0.0
            labels = model.slots.tag(word_features(words, best if cond else None, chars))
            slots = tuple(
                SlotValue(s.name, text[s.start : s.end], s.start, s.end)
                for s in spans_from_word_labels(offsets, labels)
            )
            out.append(
                Parse(
                    text,
                    locale,
                    best,
                    confidence,
                    slots,
                    tuple((intents[int(j)], float(probs[j])) for j in top),
                    tuple(labels),
                )
            )
        return out

    def compacted(self, intent_density: float = 1.0, compact_slots: bool = False) -> LinearParser:
        """A copy as training with these ``intent_density`` and ``compact_slots`` options would give,
        without training again: only ``intent_density`` of each locale's intent weights kept, the CRF
        turned into a CompactTagger. Whatever is not changed is shared with this parser."""
        if not 0.0 < intent_density <= 1.0:
            raise InputError(f"intent_density {intent_density}: expected a fraction in (0, 1]")
        if intent_density < 1.0 and self.options.intent_density < 1.0:
            raise InputError(
                f"this model's intent weights are already pruned (intent_density "
                f"{self.options.intent_density}): prune a model trained with all of them"
            )
        compact = compact_slots or self.options.compact_slots
        density = intent_density if intent_density < 1.0 else self.options.intent_density
        out = LinearParser(
            jobs=self.jobs, **{**asdict(self.options), "intent_density": density, "compact_slots": compact}
        )
        out._models = {}
        for locale in self._locales:
            m = self._model(locale)
            intent = m.intent.pruned(intent_density) if intent_density < 1.0 else m.intent
            slots = m.slots.compact() if compact and isinstance(m.slots, SlotTagger) else m.slots
            out._models[locale] = LocaleModel(intent, slots)
        out._locales, out.intents, out.slot_labels = list(self._locales), list(self.intents), list(self.slot_labels)
        out.data_fingerprint, out.train_seconds = self.data_fingerprint, dict(self.train_seconds)
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        if not self._locales:
            raise ModelError("cannot save an untrained parser: call fit() first")
        with atomic_directory(path) as tmp:
            for locale in self._locales:
                _save_locale(self._model(locale), tmp / "locales" / locale)
            manifest = build_manifest(
                self.kind,
                self._locales,
                self.intents,
                self.slot_labels,
                data_fingerprint=self.data_fingerprint,
                options=asdict(self.options),
                metrics=metrics,
                extra={
                    "files": {
                        "per_locale": list(
                            INTENT_FILES + (COMPACT_SLOT_FILES if self.options.compact_slots else CRFSUITE_SLOT_FILES)
                        )
                    },
                    "train_seconds": self.train_seconds,
                },
            )
            write_json(tmp / "manifest.json", manifest)
        return Path(path)

    @classmethod
    def from_artifact(cls, path: Path, manifest: dict[str, Any]) -> LinearParser:
        parser = cls(**manifest.get("options", {}))
        parser._root = Path(path)
        parser._locales = list(manifest["locales"])
        parser.intents = list(manifest["intents"])
        parser.slot_labels = list(manifest["slots"])
        parser.data_fingerprint = manifest.get("training_data", "")
        for locale in parser._locales:  # check completeness up front; load weights lazily
            d = parser._root / "locales" / locale
            require_files(d, _locale_files(d, parser.options.compact_slots))
        return parser


def _locale_files(d: Path, compact_slots: bool) -> tuple[str, ...]:
    """The files a saved locale folder must hold, in whichever layout it was written."""
    if (d / LEGACY_LOCALE_FILES[0]).is_file():
        return LEGACY_LOCALE_FILES
    intent = (
        INTENT_FILES
        if (d / INTENT_FILES[1]).is_file() or not (d / GZIP_INTENT_VOCAB).is_file()
        else (INTENT_FILES[0], GZIP_INTENT_VOCAB, INTENT_FILES[2])
    )
    return intent + (COMPACT_SLOT_FILES if compact_slots else CRFSUITE_SLOT_FILES)


def _write_strings(path: Path, obj: Any) -> None:
    path.write_bytes(lzma.compress(json.dumps(obj, ensure_ascii=False).encode("utf-8"), preset=6))


def _read_strings(path: Path) -> Any:
    raw = path.read_bytes()
    return json.loads(lzma.decompress(raw) if path.suffix == ".xz" else gzip.decompress(raw))


def _save_locale(m: LocaleModel, d: Path) -> None:
    d.mkdir(parents=True)
    _write_strings(d / INTENT_FILES[1], m.intent.vocabulary.names())
    w = m.intent.weights
    if isinstance(w, SparseWeights):
        # Compact storage: per-row counts instead of row pointers, the narrowest integer types,
        # int8 weights with their scale, float16 idf (a pruned model's idf is on that grid).
        q = w.quantised()  # a no-op unless the model was saved before quantisation
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
    np.savez_compressed(d / "intent.npz", bias=m.intent.bias, **arrays)
    write_json(d / "intent_meta.json", {"intents": m.intent.intents, "temperature": m.intent.temperature})
    if isinstance(m.slots, SlotTagger):
        (d / "slots.crfsuite.gz").write_bytes(gzip.compress(m.slots.model, compresslevel=6))
    else:
        _save_compact_slots(m.slots, d)


def _save_compact_slots(t: CompactTagger, d: Path) -> None:
    _write_strings(d / COMPACT_SLOT_FILES[1], {"labels": t.labels, "attributes": t.attributes.names()})
    q = t.state.quantised()
    counts = np.diff(q.indptr)
    np.savez_compressed(
        d / "slots.npz",
        counts=counts.astype(np.uint8 if counts.max(initial=0) < 256 else np.uint16),
        columns=q.columns.astype(np.uint8 if len(t.labels) <= 256 else np.uint16),
        values=q.values,
        scale=np.float32(q.scale),
        transitions=t.transitions.astype(np.float32),
    )


def _load_compact_slots(d: Path) -> CompactTagger:
    meta = _read_strings(d / COMPACT_SLOT_FILES[1])
    labels, attributes = list(meta["labels"]), list(meta["attributes"])
    with np.load(d / "slots.npz", allow_pickle=False) as z:
        counts, columns, values = z["counts"], z["columns"].astype(np.uint16), z["values"]
        scale, transitions = float(z["scale"]), z["transitions"].astype(np.float32)
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
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
    return CompactTagger(
        FeatureIndex(attributes), labels, SparseWeights(indptr.astype(np.int32), columns, values, scale), transitions
    )


def _load_locale(d: Path) -> LocaleModel:
    try:
        meta = json.loads((d / "intent_meta.json").read_text(encoding="utf-8"))
        if (d / LEGACY_LOCALE_FILES[0]).is_file():
            vocab = json.loads((d / "intent_vocab.json").read_text(encoding="utf-8"))
            idf = np.load(d / "intent_idf.npy", allow_pickle=False)
            weights: np.ndarray | SparseWeights = np.load(d / "intent_weights.npy", allow_pickle=False)
            bias = np.load(d / "intent_bias.npy", allow_pickle=False)
            crf = (d / "slots.crfsuite").read_bytes()
        else:
            xz = d / INTENT_FILES[1]
            vocab = _read_strings(xz if xz.is_file() else d / GZIP_INTENT_VOCAB)
            with np.load(d / "intent.npz", allow_pickle=False) as z:
                idf, bias = z["idf"].astype(np.float32), z["bias"]
                if "counts" in z.files:
                    indptr = np.zeros(len(z["counts"]) + 1, dtype=np.int64)
                    np.cumsum(z["counts"], out=indptr[1:])
                    weights = SparseWeights(
                        indptr.astype(np.int32), z["columns"].astype(np.uint16), z["values"], float(z["scale"])
                    )
                elif "indptr" in z.files:  # the first sparse layout: row pointers, float16 weights
                    weights = SparseWeights(z["indptr"], z["columns"], z["values"])
                else:
                    weights = z["weights"]
            compact = (d / COMPACT_SLOT_FILES[0]).is_file()
            crf = None if compact else gzip.decompress((d / "slots.crfsuite.gz").read_bytes())
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
        intent = IntentModel(FeatureIndex(vocab), idf, weights, bias, meta["intents"], float(meta["temperature"]))
        return LocaleModel(intent, _load_compact_slots(d) if crf is None else SlotTagger(crf))
    except (OSError, ValueError, KeyError, EOFError, zlib.error, lzma.LZMAError, json.JSONDecodeError) as exc:
        raise ModelError(f"model files in {d} are corrupt: {exc}") from None
