"""The ``neural`` parser: one PyTorch joint model for every locale (kind ``neural``)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from kiloglot.data.example import OUTSIDE, Example
from kiloglot.data.locales import LOCALES
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import atomic_directory, build_manifest, fingerprint, require_files, write_json
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.neural.decode import length_batches, pad_batch, prepare, to_parse
from kiloglot.nlu.neural.encoders import EncoderSpec, HFEncoder, ScratchEncoder, scratch_config
from kiloglot.nlu.neural.model import JointModel
from kiloglot.nlu.neural.tokenization import (
    ALIGNMENTS,
    WordTokenizer,
    load_hf_tokenizer,
    load_scratch_tokenizer,
    scratch_tokenizer,
)
from kiloglot.nlu.neural.training import (
    Distributed,
    EncoderTrainingOptions,
    EpochReport,
    default_learning_rate,
    default_word_alignment,
    train_loop,
)
from kiloglot.nlu.parse import Parse
from kiloglot.nlu.registry import register

if TYPE_CHECKING:
    from kiloglot.nlu.soft_targets import SoftTargets


@dataclass(frozen=True)
class NeuralOptions(EncoderTrainingOptions):
    eval_batch_size: int = 128
    top_k: int = 3
    slot_decoder: str = "crf"  # or "softmax"; CRF chosen by measurement (BENCHMARKS.md: +1.5 EM, +3.3 slot F1)


_RUNTIME_ONLY = {"checkpoint_dir", "device"}  # not part of what the model is


@register("neural")
class NeuralParser(Parser):
    def __init__(self, jobs: int | None = None, **options: Any) -> None:
        known = {f.name for f in fields(NeuralOptions)}
        unknown = set(options) - known
        if unknown:
            raise InputError(f"unknown option(s) for the neural parser: {', '.join(sorted(unknown))}")
        opts = NeuralOptions(**options)
        if opts.slot_decoder not in ("softmax", "crf"):
            raise InputError(f"slot_decoder {opts.slot_decoder!r}: expected 'softmax' or 'crf'")
        try:
            self.spec = EncoderSpec.parse(opts.encoder)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if opts.learning_rate is None:
            opts = NeuralOptions(**{**asdict(opts), "learning_rate": default_learning_rate(self.spec)})
        if opts.word_alignment is None:
            opts = replace(opts, word_alignment=default_word_alignment(self.spec))
        if opts.word_alignment not in ALIGNMENTS:
            raise InputError(f"word_alignment {opts.word_alignment!r}: expected one of {', '.join(ALIGNMENTS)}")
        # The artifact stands alone: a pretrained scratch encoder's weights are copied into it, so the
        # saved encoder kind is plain "scratch" (same architecture) and loading never needs the folder.
        self.options = opts
        self.threads = jobs
        self.model: JointModel | None = None
        self.tokenizer: WordTokenizer | None = None
        self._hf_tokenizer: Any = None
        self._locales: list[str] = []
        self.intents: list[str] = []
        self.slot_labels: list[str] = []
        self.data_fingerprint = ""
        self.encoder_config: dict[str, Any] = {}
        self.reports: list[EpochReport] = []
        self.distillation: dict[str, Any] = {}  # temperature and hard weight when trained as a student

    @property
    def locales(self) -> list[str]:
        return list(self._locales)

    def supports(self, locale: str) -> bool:
        # One multilingual model: it parses any MASSIVE locale, trained on it or not (zero-shot).
        return locale in LOCALES

    def progress_total(self, n_locales: int) -> int:
        return 20 * self.options.epochs

    # -- training ------------------------------------------------------------------------------
    def _build(self, train: Sequence[Example]) -> None:
        o = self.options
        encoder: torch.nn.Module
        if self.spec.kind == "scratch" and self.spec.name:  # pretrained by `kiloglot pretrain`
            from kiloglot.nlu.neural.encoders import load_scratch_encoder

            try:
                self.tokenizer, encoder, self.encoder_config = load_scratch_encoder(Path(self.spec.name), o.max_len)
                self.tokenizer.alignment = o.word_alignment
            except ValueError as exc:
                raise InputError(str(exc)) from None
        elif self.spec.kind == "scratch":
            saved = Path(o.checkpoint_dir) / "tokenizer.json" if o.checkpoint_dir else None
            if saved is not None and saved.is_file() and (saved.parent / "checkpoint.pt").is_file():
                self.tokenizer = load_scratch_tokenizer(saved, o.max_len, o.word_alignment)  # resuming: the same ids
            else:
                self.tokenizer = scratch_tokenizer((e.text for e in train), o.vocab_size, o.max_len, o.word_alignment)
                if saved is not None:
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    self.tokenizer.save(saved.parent)
            self.encoder_config = scratch_config(o, self.tokenizer.vocab_size, self.tokenizer.pad_id)
            encoder = ScratchEncoder(**self.encoder_config)
        else:
            try:
                self.tokenizer, self._hf_tokenizer = load_hf_tokenizer(self.spec.name, o.max_len, o.word_alignment)
                encoder = HFEncoder.pretrained(self.spec.name)
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot load Hugging Face encoder {self.spec.name!r}: {exc}") from None
        self.model = JointModel(encoder, len(self.intents), len(self.slot_labels), o.dropout, o.slot_decoder == "crf")

    def _items(self, examples: Sequence[Example]) -> list[tuple[list[int], list[int], int, list[int]]]:
        assert self.tokenizer is not None
        ii = {k: i for i, k in enumerate(self.intents)}
        si = {k: i for i, k in enumerate(self.slot_labels)}
        encs = self.tokenizer.encode_batch([e.words for e in examples])
        return [(enc.ids, enc.first, ii[e.intent], [si[l] for l in e.word_labels]) for e, enc in zip(examples, encs)]

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> NeuralParser:
        if not train:
            raise InputError("no training examples: expected at least one labelled utterance")
        labels = (sorted({e.intent for e in train}), sorted({l for e in train for l in e.word_labels} | {OUTSIDE}))
        return self._train(train, dev, progress, labels, soft=None)

    def fit_distilled(
        self,
        train: Sequence[Example],
        soft: SoftTargets,
        dev: Sequence[Example] | None = None,
        progress: Callable[[str, float], None] | None = None,
        *,
        temperature: float = 2.0,
        hard_weight: float = 0.5,
    ) -> NeuralParser:
        """Train as a student: ``train[i]`` carries gold (or the teacher's best) labels and ``soft[i]`` the
        teacher's distributions. The label sets are the teacher's plus any new gold ones."""
        from kiloglot.nlu.neural.distillation import distillation_loss

        if not train:
            raise InputError("no training examples: expected at least one utterance to distil on")
        if len(soft) != len(train):
            raise InputError(f"{len(soft)} soft targets for {len(train)} utterances: expected one per utterance")
        if self.options.slot_decoder != "softmax":
            raise InputError("a distilled student learns per-word distributions: use slot_decoder=softmax")
        if not 0.0 <= hard_weight <= 1.0 or temperature <= 0:
            raise InputError(f"hard_weight {hard_weight} / temperature {temperature}: expected 0..1 and > 0")
        intents = sorted(set(soft.intents) | {e.intent for e in train})
        slots = sorted(set(soft.slots) | {l for e in train for l in e.word_labels} | {OUTSIDE})
        soft = soft.reorder(intents, slots)
        self.distillation = {"temperature": temperature, "hard_weight": hard_weight}
        return self._train(
            train,
            dev,
            progress,
            (intents, slots),
            soft=soft,
            batch_loss_factory=lambda pad: distillation_loss(pad, temperature, hard_weight),
        )

    def _train(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        progress: Callable[[str, float], None] | None,
        labels: tuple[list[str], list[str]],
        soft: SoftTargets | None,
        batch_loss_factory: Callable[[int], Any] | None = None,
    ) -> NeuralParser:
        o = self.options
        random.seed(o.seed)
        np.random.seed(o.seed)
        torch.manual_seed(o.seed)
        if self.threads:
            torch.set_num_threads(self.threads)
        dist = Distributed(o.device)
        self._locales = sorted({e.locale for e in train})
        self.intents, self.slot_labels = labels
        self.data_fingerprint = fingerprint(train)
        self._build(train)
        assert self.model is not None and self.tokenizer is not None
        items: list[Any] = self._items(train)
        if soft is not None:
            items = [(*it, soft.intent_probs[i], soft.slot_probs[i]) for i, it in enumerate(items)]
        known = set(self.intents)
        dev_set = [e for e in dev or () if e.intent in known]

        def evaluate(model: torch.nn.Module) -> float:
            from kiloglot.evaluation.report import build_report

            parses = self.parse_examples(dev_set)
            return build_report(dev_set, parses).mean.exact_match

        extra = json.dumps(self.distillation, sort_keys=True) if soft is not None else ""
        run_id = (
            fingerprint(train)
            + json.dumps({k: v for k, v in asdict(o).items() if k not in _RUNTIME_ONLY}, sort_keys=True)
            + extra
        )
        best, self.reports = train_loop(
            model=self.model,
            items=items,
            pad_id=self.tokenizer.pad_id,
            options=o,
            dist=dist,
            evaluate=evaluate if dev_set else None,
            fingerprint=run_id,
            progress=progress,
            log=lambda m: print(m, flush=True) if os.environ.get("KILOGLOT_VERBOSE", "1") != "0" else None,
            batch_loss=batch_loss_factory(self.tokenizer.pad_id) if batch_loss_factory else None,
        )
        self.model.load_state_dict(best)
        self.model.to("cpu").eval()
        return self

    def soft_targets(self, words: Sequence[Sequence[str]], temperature: float = 1.0) -> SoftTargets:
        """The model's intent and per-word slot distributions at ``temperature`` (as a distillation teacher)."""
        from kiloglot.nlu.neural.distillation import teacher_distributions
        from kiloglot.nlu.soft_targets import SoftTargets

        if self.model is None or self.tokenizer is None:
            raise ModelError("the neural parser is not trained: call fit() or load a model")
        encs = self.tokenizer.encode_batch(words)
        ip, sp = teacher_distributions(
            self.model, encs, self.tokenizer.pad_id, temperature, self.options.eval_batch_size
        )
        return SoftTargets(ip, sp, list(self.intents), list(self.slot_labels))

    # -- inference -----------------------------------------------------------------------------
    @torch.inference_mode()
    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        if self.model is None or self.tokenizer is None:
            raise ModelError("the neural parser is not trained: call fit() or load a model")
        self.check_request(texts, locale)
        model = self.model
        model.eval()
        device = next(model.parameters()).device
        offsets, words, encs = prepare(self.tokenizer, texts, locale)
        out: list[Parse | None] = [None] * len(texts)
        k = min(self.options.top_k, len(self.intents))
        for idx in length_batches(encs, self.options.eval_batch_size):
            ids, mask, widx = (
                torch.from_numpy(a).to(device) for a in pad_batch([encs[i] for i in idx], self.tokenizer.pad_id)
            )
            intent_logits, slot_logits = model(ids, mask, widx)
            probs = torch.softmax(intent_logits.float(), -1).cpu().numpy()
            slot_ids = model.decode_slots(slot_logits, widx)
            for r, i in enumerate(idx):
                out[i] = to_parse(
                    texts[i],
                    locale,
                    offsets[i],
                    encs[i].first,
                    probs[r],
                    slot_ids[r],
                    self.intents,
                    self.slot_labels,
                    k,
                )
        return out  # type: ignore[return-value]

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        if self.model is None or self.tokenizer is None:
            raise ModelError("cannot save an untrained parser: call fit() first")
        from safetensors.torch import save_file

        with atomic_directory(path) as tmp:
            state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
            save_file(state, str(tmp / "model.safetensors"))
            if self.spec.kind == "hf":
                self.model.encoder.save_config(tmp / "encoder")  # type: ignore[operator]
                self.tokenizer.save(tmp, self._hf_tokenizer)
            else:
                self.tokenizer.save(tmp)
            write_json(
                tmp / "config.json",
                {
                    "options": asdict(self.options),
                    "encoder": {"kind": self.spec.kind, "name": self.spec.name, **self.encoder_config},
                    "intents": self.intents,
                    "slots": self.slot_labels,
                },
            )
            write_json(
                tmp / "manifest.json",
                build_manifest(
                    self.kind,
                    self._locales,
                    self.intents,
                    self.slot_labels,
                    data_fingerprint=self.data_fingerprint,
                    options={k: v for k, v in asdict(self.options).items() if k not in _RUNTIME_ONLY},
                    metrics=metrics,
                    extra={
                        "runtime": "pytorch",
                        "encoder": self.options.encoder,
                        "parameters": sum(p.numel() for p in self.model.parameters()),
                        "epochs": [r.__dict__ for r in self.reports],
                        **({"distillation": self.distillation} if self.distillation else {}),
                    },
                ),
            )
        return Path(path)

    @classmethod
    def from_artifact(cls, path: Path, manifest: dict[str, Any]) -> NeuralParser:
        from safetensors.torch import load_file

        require_files(path, ["config.json", "model.safetensors"])
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            opts = {k: v for k, v in config["options"].items() if k not in _RUNTIME_ONLY}
            opts.setdefault("slot_decoder", "softmax")  # models saved before the CRF decoder existed
            opts.setdefault("word_alignment", "first")  # ... and before ja/zh characters were read as running text
            enc = config["encoder"]
            # Rebuild from the artifact alone, even if the encoder folder it was trained from is gone.
            parser = cls(**{**opts, "encoder": "scratch" if enc["kind"] == "scratch" else f"hf:{enc['name']}"})
            parser.options = replace(parser.options, encoder=opts.get("encoder", "scratch"))
            parser._locales = list(manifest["locales"])
            parser.intents, parser.slot_labels = list(config["intents"]), list(config["slots"])
            parser.data_fingerprint = manifest.get("training_data", "")
            parser.distillation = dict(manifest.get("distillation", {}))
            if enc["kind"] == "scratch":
                parser.encoder_config = {k: v for k, v in enc.items() if k not in ("kind", "name")}
                parser.tokenizer = load_scratch_tokenizer(
                    path / "tokenizer.json", parser.options.max_len, parser.options.word_alignment
                )
                encoder: torch.nn.Module = ScratchEncoder(**parser.encoder_config)
            else:
                parser.tokenizer, parser._hf_tokenizer = load_hf_tokenizer(
                    path / "tokenizer", parser.options.max_len, parser.options.word_alignment
                )
                encoder = HFEncoder.from_config_dir(path / "encoder")
            parser.model = JointModel(
                encoder,
                len(parser.intents),
                len(parser.slot_labels),
                parser.options.dropout,
                parser.options.slot_decoder == "crf",
            )
            parser.model.load_state_dict(load_file(str(path / "model.safetensors")))
            parser.model.eval()
        except (OSError, KeyError, ValueError, RuntimeError, json.JSONDecodeError) as exc:
            raise ModelError(f"model files in {path} are corrupt or incomplete: {exc}") from None
        return parser
