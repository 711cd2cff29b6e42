"""The fast ``linear`` parser: per-locale TF-IDF + linear SVM intents, intent-conditioned CRF slots.

One artifact holds every locale it was trained on; a locale's weights are read from disk the first
time that locale is parsed, so serving a few locales of a 52-locale model costs the memory of few.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Self

import numpy as np

from kiloglot import options as opt
from kiloglot.data.codec import massive_word_labels, spans_from_word_labels
from kiloglot.data.example import OUTSIDE, Example
from kiloglot.data.segmentation import (
    SYLLABLE_LANGUAGES,
    UNSPACED_LANGUAGES,
    input_word_offsets,
    splits_characters,
)
from kiloglot.data.unspaced import unspaced_copy
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import (
    LOCALES_DIR,
    Manifest,
    fingerprint,
    new_manifest,
    read_manifest,
    require_files,
    write_artifact,
)
from kiloglot.nlu.contract import Progress, StoredLabels, TrainableParser
from kiloglot.nlu.linear.features import intent_features, word_features
from kiloglot.nlu.linear.intent import IntentModel
from kiloglot.nlu.linear.legacy import load_locale_v1, locale_files_v1
from kiloglot.nlu.linear.options import LinearOptions, LinearRuntime
from kiloglot.nlu.linear.slots import CompactTagger, SlotTagger, train_crf
from kiloglot.nlu.linear.storage import LocaleModel, load_locale, locale_files, save_locale, storage_of
from kiloglot.nlu.parse import Parse, SlotValue
from kiloglot.processes import die_with_parent


class LinearParser(StoredLabels, TrainableParser):
    kind = "linear"
    runtime = "python"

    def __init__(
        self, options: LinearOptions | None = None, runtime: LinearRuntime | None = None, **overrides: Any
    ) -> None:
        """``LinearParser(intent_density=0.05, jobs=2)`` or ``LinearParser(LinearOptions(...))``: keyword
        options go to the group that declares them (``LinearOptions``: the model; ``LinearRuntime``: worker
        processes for training, default every core)."""
        given = opt.split(overrides, self.option_groups(), what="the linear parser")
        self.options = opt.build(LinearOptions, given["model"], what="the linear parser", base=options)
        self.runtime_options = opt.build(LinearRuntime, given["runtime"], what="the linear parser", base=runtime)
        self._models: dict[str, LocaleModel] = {}
        self._root: Path | None = None  # artifact directory for lazy loading
        self._storage: dict[str, str] = {}
        self._format = 2
        self._locales: list[str] = []
        self._intents: list[str] = []
        self._slot_labels: list[str] = []
        self.data_fingerprint = ""
        self.train_seconds: dict[str, float] = {}

    @classmethod
    def option_groups(cls) -> dict[str, type]:
        return {"model": LinearOptions, "runtime": LinearRuntime}

    def get_params(self) -> dict[str, Any]:
        return opt.as_params(self.options, self.runtime_options)

    # -- training ------------------------------------------------------------------------------
    def fit(
        self, train: Sequence[Example], dev: Sequence[Example] | None = None, progress: Progress | None = None
    ) -> Self:
        if not train:
            raise InputError("no training examples: expected at least one labelled utterance")
        by_locale: dict[str, list[Example]] = {}
        for ex in train:
            by_locale.setdefault(ex.locale, []).append(ex)
        if self.options.unspaced_copies:
            for examples in by_locale.values():
                examples.extend(c for c in map(unspaced_copy, list(examples)) if c is not None)
        dev_by_locale: dict[str, list[Example]] = {}
        for ex in dev or ():
            dev_by_locale.setdefault(ex.locale, []).append(ex)
        # Longest jobs first (character locales have the longest word sequences) for load balance.
        order = sorted(by_locale, key=lambda l: -sum(len(e.words) for e in by_locale[l]))
        tasks = [(l, by_locale[l], dev_by_locale.get(l, []), self.options) for l in order]
        self._models = {}
        jobs = self.runtime_options.jobs or os.cpu_count() or 1
        if jobs <= 1 or len(tasks) == 1:
            for task in tasks:
                locale, model, secs = _train_locale(*task)
                self._models[locale], self.train_seconds[locale] = model, secs
                if progress:
                    progress(locale, secs)
        else:
            workers = min(jobs, len(tasks))
            with ProcessPoolExecutor(workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
                futures = [pool.submit(_train_locale_packed, t) for t in tasks]
                for fut in as_completed(futures):
                    locale, packed, secs = fut.result()
                    self._models[locale], self.train_seconds[locale] = _unpack(packed), secs
                    if progress:
                        progress(locale, secs)
        self._locales = sorted(by_locale)
        self._intents = sorted({e.intent for e in train})
        self._slot_labels = sorted({l for e in train for l in e.word_labels} | {OUTSIDE})
        self.data_fingerprint = fingerprint(train)
        self._root = None
        return self

    def refit(
        self, train: Sequence[Example], dev: Sequence[Example] | None = None, progress: Progress | None = None
    ) -> LinearParser:
        """A copy with the locales of ``train`` trained again on it and every other locale kept as it is:
        retraining a few locales of a many-locale model costs those locales only. The copy's data
        fingerprint is the combination of this model's and ``train``'s."""
        fresh = LinearParser(self.options, self.runtime_options).fit(train, dev, progress)
        out = self._with_models_of(fresh, fresh._locales, f"{self.data_fingerprint}+{fresh.data_fingerprint}")
        out.train_seconds = {**self.train_seconds, **fresh.train_seconds}
        return out

    def with_locales_of(self, other: LinearParser, locales: Sequence[str]) -> LinearParser:
        """A copy with ``other``'s models of ``locales`` in place of this model's (e.g. to keep a refit
        for some locales only)."""
        missing = [loc for loc in locales if loc not in other._locales]
        if missing:
            raise InputError(f"locales {', '.join(missing)}: the other model knows {', '.join(other._locales)}")
        combined = f"{self.data_fingerprint}+{other.data_fingerprint}:{','.join(sorted(locales))}"
        return self._with_models_of(other, locales, combined)

    def _with_models_of(self, other: LinearParser, locales: Sequence[str], combined: str) -> LinearParser:
        """This model's locales with ``other``'s models of ``locales`` in their place (or added), the label sets
        of both, and a data fingerprint hashed from ``combined``."""
        out = LinearParser(self.options, self.runtime_options)
        out._models = {loc: self._model(loc) for loc in self._locales if loc not in locales}
        out._models.update({loc: other._model(loc) for loc in locales})
        out._locales = sorted(out._models)
        out._intents = sorted(set(self._intents) | set(other._intents))
        out._slot_labels = sorted(set(self._slot_labels) | set(other._slot_labels))
        out.train_seconds = {**self.train_seconds}
        out.data_fingerprint = "sha256:" + hashlib.sha256(combined.encode()).hexdigest()
        return out

    # -- inference -----------------------------------------------------------------------------
    def _model(self, locale: str) -> LocaleModel:
        m = self._models.get(locale)
        if m is None:
            if self._root is None or locale not in self._locales:
                raise InputError(
                    f"this model was not trained on locale {locale!r}: it knows {', '.join(self._locales)}"
                )
            d = self._root / LOCALES_DIR / locale
            m = load_locale(d, self._storage) if self._format == 2 else load_locale_v1(d, self._storage)
            self._models[locale] = m
        return m

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        return self._parse(texts, locale, None)

    def parse_given_intents(self, texts: Sequence[str], locale: str, intents: Sequence[str]) -> list[Parse]:
        """Parse with each text's intent fixed (e.g. chosen by an ensemble): the CRF labels the slots
        conditioned on that intent, as in training. Confidence and alternatives stay this model's own."""
        if len(intents) != len(texts):
            raise InputError(f"{len(intents)} intents for {len(texts)} texts: expected one intent per text")
        return self._parse(texts, locale, intents)

    @property
    def _cut_languages(self) -> frozenset[str]:
        """Languages whose unspaced input is cut into words: Burmese too when the model learned from its
        syllable-cut copies."""
        return UNSPACED_LANGUAGES | SYLLABLE_LANGUAGES if self.options.unspaced_copies else UNSPACED_LANGUAGES

    def _parse(self, texts: Sequence[str], locale: str, given: Sequence[str] | None) -> list[Parse]:
        self.check_request(texts, locale)
        model = self._model(locale)
        chars = splits_characters(locale)
        cond = self.options.intent_conditioned_slots
        k = self.options.top_k
        intents = model.intent.intents
        out = []
        for n, text in enumerate(texts):
            offsets = input_word_offsets(text, locale, self._cut_languages)
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
            alternatives = tuple((intents[int(j)], float(probs[j])) for j in top)
            word_labels = massive_word_labels(text, locale, offsets, labels)
            out.append(Parse(text, locale, best, confidence, slots, alternatives, word_labels))
        return out

    def compacted(self, intent_density: float = 1.0, compact_slots: bool = False) -> LinearParser:
        """A copy as training with these ``intent_density`` and ``compact_slots`` options would give,
        without training again: only ``intent_density`` of each locale's intent weights kept, the CRF
        turned into a CompactTagger. Whatever is not changed is shared with this parser."""
        if not 0.0 < intent_density <= 1.0:
            raise InputError(f"intent_density {intent_density:g}: expected a fraction in (0, 1]")
        if intent_density < 1.0 and self.options.intent_density < 1.0:
            raise InputError(
                f"this model's intent weights are already pruned (intent_density "
                f"{self.options.intent_density}): prune a model trained with all of them"
            )
        compact = compact_slots or self.options.compact_slots
        density = intent_density if intent_density < 1.0 else self.options.intent_density
        out = LinearParser(replace(self.options, intent_density=density, compact_slots=compact), self.runtime_options)
        for locale in self._locales:
            m = self._model(locale)
            intent = m.intent.pruned(intent_density) if intent_density < 1.0 else m.intent
            slots = m.slots.compact() if compact and isinstance(m.slots, SlotTagger) else m.slots
            out._models[locale] = LocaleModel(intent, slots)
        out._locales, out._intents, out._slot_labels = list(self._locales), list(self._intents), list(self._slot_labels)
        out.data_fingerprint, out.train_seconds = self.data_fingerprint, dict(self.train_seconds)
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        if not self._locales:
            raise ModelError("cannot save an untrained parser: call fit() first")
        storage = storage_of(self._model(self._locales[0]))
        manifest = new_manifest(
            self.kind,
            self.runtime,
            self._locales,
            self._intents,
            self._slot_labels,
            data_fingerprint=self.data_fingerprint,
            options=asdict(self.options),
            metrics=metrics,
            storage=storage,
            files={"per_locale": list(locale_files(storage))},
            train_seconds=self.train_seconds,
        )
        with write_artifact(path, manifest) as tmp:
            for locale in self._locales:
                save_locale(self._model(locale), tmp / LOCALES_DIR / locale)
        return Path(path)

    @classmethod
    def from_artifact(cls, path: Path, manifest: Manifest) -> LinearParser:
        parser = cls(**manifest.get("options", {}))
        parser._root = Path(path)
        parser._locales = list(manifest["locales"])
        parser._intents = list(manifest["intents"])
        parser._slot_labels = list(manifest["slots"])
        parser.data_fingerprint = manifest.get("training_data", "")
        parser.train_seconds = dict(manifest.get("train_seconds", {}))
        storage = manifest.get("storage")
        if not isinstance(storage, dict) or {"intent", "slots"} - set(storage):
            raise ModelError(f"{path}/manifest.json names no storage: expected a linear model's manifest")
        parser._storage = dict(storage)
        parser._format = 2 if not storage["intent"].startswith("v1-") else 1
        files = locale_files(storage) if parser._format == 2 else locale_files_v1(storage)
        for locale in parser._locales:  # check completeness up front; load weights lazily
            require_files(parser._root / LOCALES_DIR / locale, files)
        return parser


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


def compact_saved_model(
    model_dir: str | Path, out: str | Path, *, intent_density: float = 1.0, compact_slots: bool = True
) -> LinearParser:
    """Load a saved linear model, compact it (``LinearParser.compacted``) and save the result to ``out``."""
    kind = read_manifest(model_dir)["kind"]
    if kind != "linear":  # checked before loading: a neural model would import PyTorch just to be refused
        raise InputError(
            f"{model_dir} is a {kind!r} model: expected a linear one (neural models shrink by export "
            "to ONNX int8 or by distillation)"
        )
    parser = LinearParser.from_artifact(Path(model_dir), read_manifest(model_dir))
    small = parser.compacted(intent_density=intent_density, compact_slots=compact_slots)
    small.save(out)
    return small
