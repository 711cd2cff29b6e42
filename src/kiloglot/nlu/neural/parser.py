"""The ``neural`` parser: one PyTorch joint model for every locale (kind ``neural``, runtime ``pytorch``)."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import torch

from kiloglot import options as opt
from kiloglot.data.example import OUTSIDE, Example
from kiloglot.data.locales import LOCALES
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import (
    CONFIG_FILE,
    ENCODER_CONFIG_DIR,
    TOKENIZER_DIR,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    Manifest,
    fingerprint,
    new_manifest,
    read_json,
    require_files,
    write_artifact,
    write_json,
)
from kiloglot.nlu.contract import Progress, StoredLabels, TrainableParser
from kiloglot.nlu.neural.decode import parse_batches
from kiloglot.nlu.neural.encoders import Encoder, HFEncoder, ScratchEncoder, load_hf_tokenizer, scratch_config
from kiloglot.nlu.neural.model import JointModel
from kiloglot.nlu.neural.options import (
    EncoderSpec,
    NeuralOptions,
    NeuralRuntime,
    TrainingOptions,
    default_learning_rate,
    default_word_alignment,
)
from kiloglot.nlu.neural.tokenization import WordTokenizer, load_scratch_tokenizer, scratch_tokenizer
from kiloglot.nlu.neural.training import Distributed, EpochReport, train_loop
from kiloglot.nlu.parse import Parse
from kiloglot.nlu.scoring import mean_exact_match

if TYPE_CHECKING:
    from kiloglot.nlu.soft_targets import SoftTargets

log = logging.getLogger(__name__)
GROUPS = {"model": NeuralOptions, "training": TrainingOptions, "runtime": NeuralRuntime}


class NeuralParser(StoredLabels, TrainableParser):
    kind = "neural"
    runtime = "pytorch"

    def __init__(
        self,
        options: NeuralOptions | None = None,
        training: TrainingOptions | None = None,
        runtime: NeuralRuntime | None = None,
        **overrides: Any,
    ) -> None:
        """``NeuralParser(dim=128, epochs=3, jobs=2)``: keyword options go to the group that declares them
        (``NeuralOptions``: the model; ``TrainingOptions``: the training run; ``NeuralRuntime``: threads,
        device, checkpoints)."""
        given = opt.split(overrides, self.option_groups(), what="the neural parser")
        model = opt.build(NeuralOptions, given["model"], what="the neural parser", base=options)
        train = opt.build(TrainingOptions, given["training"], what="the neural parser", base=training)
        self.runtime_options = opt.build(NeuralRuntime, given["runtime"], what="the neural parser", base=runtime)
        self.spec = EncoderSpec.parse(model.encoder)
        if train.learning_rate is None:
            train = replace(train, learning_rate=default_learning_rate(self.spec))
        if model.word_alignment is None:
            model = replace(model, word_alignment=default_word_alignment(self.spec))
        # The artifact stands alone: a pretrained scratch encoder's weights are copied into it, so the
        # saved encoder kind is plain "scratch" (same architecture) and loading never needs the folder.
        self.options = model
        self.training = train
        self.model: JointModel | None = None
        self.tokenizer: WordTokenizer | None = None
        self._hf_tokenizer: Any = None
        self._locales: list[str] = []
        self._intents: list[str] = []
        self._slot_labels: list[str] = []
        self.data_fingerprint = ""
        self.encoder_config: dict[str, Any] = {}
        self.reports: list[EpochReport] = []
        self.distillation: dict[str, Any] = {}  # temperature and hard weight when trained as a student

    @classmethod
    def option_groups(cls) -> dict[str, type]:
        return dict(GROUPS)

    def get_params(self) -> dict[str, Any]:
        return opt.as_params(self.options, self.training, self.runtime_options)

    def supports(self, locale: str) -> bool:
        # One multilingual model: it parses any MASSIVE locale, trained on it or not (zero-shot).
        return locale in LOCALES

    def progress_total(self, n_locales: int) -> int:
        return 20 * self.training.epochs

    # -- training ------------------------------------------------------------------------------
    def _build(self, train: Sequence[Example]) -> None:
        o = self.options
        alignment = o.word_alignment or default_word_alignment(self.spec)
        encoder: Encoder
        if self.spec.kind == "scratch" and self.spec.name:  # pretrained by `kiloglot pretrain`
            from kiloglot.nlu.neural.encoders import load_scratch_encoder

            try:
                self.tokenizer, encoder, self.encoder_config = load_scratch_encoder(Path(self.spec.name), o.max_len)
                self.tokenizer.alignment = alignment or "first"
            except ValueError as exc:
                raise InputError(str(exc)) from None
        elif self.spec.kind == "scratch":
            ckpt = self.runtime_options.checkpoint_dir
            saved = Path(ckpt) / TOKENIZER_FILE if ckpt else None
            if saved is not None and saved.is_file() and (saved.parent / "checkpoint.pt").is_file():
                self.tokenizer = load_scratch_tokenizer(saved, o.max_len, alignment)  # resuming: the same ids
            else:
                self.tokenizer = scratch_tokenizer((e.text for e in train), o.vocab_size, o.max_len, alignment)
                if saved is not None:
                    saved.parent.mkdir(parents=True, exist_ok=True)
                    self.tokenizer.save(saved.parent)
            self.encoder_config = scratch_config(o, self.tokenizer.vocab_size, self.tokenizer.pad_id)
            encoder = ScratchEncoder(**self.encoder_config)
        else:
            try:
                self.tokenizer, self._hf_tokenizer = load_hf_tokenizer(self.spec.name, o.max_len, alignment)
                encoder = HFEncoder.pretrained(self.spec.name)
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot load Hugging Face encoder {self.spec.name!r}: {exc}") from None
        self.model = JointModel(encoder, len(self._intents), len(self._slot_labels), o.dropout, o.slot_decoder == "crf")

    def _items(self, examples: Sequence[Example]) -> list[tuple[list[int], list[int], int, list[int]]]:
        assert self.tokenizer is not None
        ii = {k: i for i, k in enumerate(self._intents)}
        si = {k: i for i, k in enumerate(self._slot_labels)}
        encs = self.tokenizer.encode_batch([e.words for e in examples])
        return [(enc.ids, enc.first, ii[e.intent], [si[l] for l in e.word_labels]) for e, enc in zip(examples, encs)]

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None = None,
        progress: Progress | None = None,
    ) -> Self:
        if not train:
            raise InputError("no training examples: expected at least one labelled utterance")
        labels = (sorted({e.intent for e in train}), sorted({l for e in train for l in e.word_labels} | {OUTSIDE}))
        return self._train(train, dev, progress, labels, soft=None)

    def fit_distilled(
        self,
        train: Sequence[Example],
        soft: SoftTargets,
        dev: Sequence[Example] | None = None,
        progress: Progress | None = None,
        *,
        temperature: float = 2.0,
        hard_weight: float = 0.5,
    ) -> Self:
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
        progress: Progress | None,
        labels: tuple[list[str], list[str]],
        soft: SoftTargets | None,
        batch_loss_factory: Callable[[int], Any] | None = None,
    ) -> Self:
        seed = self.training.seed
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        if self.runtime_options.jobs:
            torch.set_num_threads(self.runtime_options.jobs)
        dist = Distributed(self.runtime_options.device)
        self._locales = sorted({e.locale for e in train})
        self._intents, self._slot_labels = labels
        self.data_fingerprint = fingerprint(train)
        self._build(train)
        assert self.model is not None and self.tokenizer is not None
        items: list[Any] = self._items(train)
        if soft is not None:
            items = [(*it, soft.intent_probs[i], soft.slot_probs[i]) for i, it in enumerate(items)]
        known = set(self._intents)
        dev_set = [e for e in dev or () if e.intent in known]

        def evaluate(model: torch.nn.Module) -> float:
            return mean_exact_match(dev_set, self.parse_examples(dev_set))

        extra = json.dumps(self.distillation, sort_keys=True) if soft is not None else ""
        run = {**asdict(self.options), **asdict(self.training)}  # what the model is and how it is trained
        run_id = fingerprint(train) + json.dumps(run, sort_keys=True) + extra
        best, self.reports = train_loop(
            model=self.model,
            items=items,
            pad_id=self.tokenizer.pad_id,
            training=self.training,
            runtime=self.runtime_options,
            dist=dist,
            evaluate=evaluate if dev_set else None,
            fingerprint=run_id,
            progress=progress,
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
            self.model, encs, self.tokenizer.pad_id, temperature, self.runtime_options.eval_batch_size
        )
        return SoftTargets(ip, sp, self.intents, self.slot_labels)

    # -- inference -----------------------------------------------------------------------------
    @torch.inference_mode()
    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        if self.model is None or self.tokenizer is None:
            raise ModelError("the neural parser is not trained: call fit() or load a model")
        self.check_request(texts, locale)
        model = self.model
        model.eval()
        device = next(model.parameters()).device

        def run(ids: np.ndarray, mask: np.ndarray, widx: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
            ids_t, mask_t, widx_t = (torch.from_numpy(a).to(device) for a in (ids, mask, widx))
            intent_logits, slot_logits = model(ids_t, mask_t, widx_t)
            probs = torch.softmax(intent_logits.float(), -1).cpu().numpy()
            return probs, model.decode_slots(slot_logits, widx_t)

        return parse_batches(
            self.tokenizer,
            texts,
            locale,
            run,
            batch_size=self.runtime_options.eval_batch_size,
            intents=self._intents,
            slot_labels=self._slot_labels,
            top_k=self.options.top_k,
        )

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        if self.model is None or self.tokenizer is None:
            raise ModelError("cannot save an untrained parser: call fit() first")
        from safetensors.torch import save_file

        model, tokenizer = self.model, self.tokenizer
        manifest = new_manifest(
            self.kind,
            self.runtime,
            self._locales,
            self._intents,
            self._slot_labels,
            data_fingerprint=self.data_fingerprint,
            options=asdict(self.options),
            training=asdict(self.training),
            metrics=metrics,
            encoder=self.options.encoder,
            parameters=sum(p.numel() for p in model.parameters()),
            epochs=[asdict(r) for r in self.reports],
            **({"distillation": self.distillation} if self.distillation else {}),
        )
        with write_artifact(path, manifest) as tmp:
            state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
            save_file(state, str(tmp / WEIGHTS_FILE))
            if self.spec.kind == "hf":
                model.encoder.save_config(tmp / ENCODER_CONFIG_DIR)  # type: ignore[operator]
                tokenizer.save(tmp, self._hf_tokenizer)
            else:
                tokenizer.save(tmp)
            encoder = {"kind": self.spec.kind, "name": self.spec.name, **self.encoder_config}
            write_json(tmp / CONFIG_FILE, {"encoder": encoder, "intents": self._intents, "slots": self._slot_labels})
        return Path(path)

    @classmethod
    def from_artifact(cls, path: Path, manifest: Manifest) -> NeuralParser:
        from safetensors.torch import load_file

        require_files(path, [CONFIG_FILE, WEIGHTS_FILE])
        config = read_json(path / CONFIG_FILE)
        try:
            options = dict(manifest["options"])
            enc = config["encoder"]
            # Rebuild from the artifact alone, even if the encoder folder it was trained from is gone.
            built = "scratch" if enc["kind"] == "scratch" else f"hf:{enc['name']}"
            parser = cls(opt.build(NeuralOptions, {**options, "encoder": built}, what=f"the model in {path}"))
            parser.options = replace(parser.options, encoder=options.get("encoder", "scratch"))
            parser.training = opt.build(TrainingOptions, manifest.get("training", {}), what=f"the model in {path}")
            parser._locales = list(manifest["locales"])
            parser._intents, parser._slot_labels = list(config["intents"]), list(config["slots"])
            parser.data_fingerprint = manifest.get("training_data", "")
            parser.distillation = dict(manifest.get("distillation", {}))
            parser.reports = [EpochReport(**r) for r in manifest.get("epochs", [])]
            alignment = parser.options.word_alignment or "first"
            if enc["kind"] == "scratch":
                parser.encoder_config = {k: v for k, v in enc.items() if k not in ("kind", "name")}
                parser.tokenizer = load_scratch_tokenizer(path / TOKENIZER_FILE, parser.options.max_len, alignment)
                encoder: Encoder = ScratchEncoder(**parser.encoder_config)
            else:
                parser.tokenizer, parser._hf_tokenizer = load_hf_tokenizer(
                    path / TOKENIZER_DIR, parser.options.max_len, alignment
                )
                encoder = HFEncoder.from_config_dir(path / ENCODER_CONFIG_DIR)
            parser.model = JointModel(
                encoder,
                len(parser._intents),
                len(parser._slot_labels),
                parser.options.dropout,
                parser.options.slot_decoder == "crf",
            )
            parser.model.load_state_dict(load_file(str(path / WEIGHTS_FILE)))
            parser.model.eval()
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelError(f"model files in {path} are corrupt or incomplete: {exc}") from None
        return parser
