"""Options of neural models, in three groups that are kept apart:

- the model (``NeuralOptions``: the encoder, a scratch encoder's shape, the slot decoder), saved in the
  artifact because it says what the model is;
- the training run (``TrainingOptions``: epochs, batch size, learning rate, freezing ...), saved as a
  record of how it was made;
- the runtime (``NeuralRuntime``: threads, device, checkpoint folder, inference batch size), never saved.

No PyTorch here, so the options can be read and validated before anything heavy is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiloglot.errors import InputError

ALIGNMENTS = ("first", "content")
SLOT_DECODERS = ("crf", "softmax")


@dataclass(frozen=True)
class EncoderSpec:
    kind: str  # "scratch" or "hf"
    name: str = ""  # hf name or path; a pretrained scratch encoder's folder

    @classmethod
    def parse(cls, spec: str) -> EncoderSpec:
        """``scratch``, ``hf:<name-or-path>``, or a folder written by ``kiloglot pretrain`` / ``save_pretrained``."""
        if spec == "scratch":
            return cls("scratch")
        if spec.startswith("hf:") and len(spec) > 3:
            return cls("hf", spec[3:])
        if Path(spec).is_dir() and (Path(spec) / "encoder.json").is_file():
            return cls("scratch", spec)  # a scratch encoder pretrained by `kiloglot pretrain`
        if Path(spec).is_dir() and (Path(spec) / "config.json").is_file():
            return cls("hf", spec)  # a local Hugging Face folder (e.g. from `kiloglot pretrain`)
        raise InputError(
            f"unknown encoder {spec!r}: expected 'scratch', 'hf:<name-or-path>', or a folder written "
            "by `kiloglot pretrain` or `save_pretrained`"
        )


@dataclass(frozen=True)
class EncoderOptions:
    """The encoder, and the shape of a scratch encoder (ignored for Hugging Face encoders)."""

    encoder: str = "scratch"
    dim: int = 256
    layers: int = 4
    heads: int = 4
    ff: int = 1024
    vocab_size: int = 16000
    max_len: int = 96
    dropout: float = 0.1
    # How words meet sub-words (WordTokenizer.alignment); None: default_word_alignment(encoder).
    word_alignment: Literal["first", "content"] | None = None  # see Alignment

    def __post_init__(self) -> None:
        if self.word_alignment is not None and self.word_alignment not in ALIGNMENTS:
            raise InputError(f"word_alignment {self.word_alignment!r}: expected one of {', '.join(ALIGNMENTS)}")
        if min(self.dim, self.layers, self.heads, self.ff, self.vocab_size, self.max_len) < 1:
            raise InputError("dim, layers, heads, ff, vocab_size and max_len: expected whole numbers of at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout {self.dropout:g}: expected a fraction in [0, 1)")


@dataclass(frozen=True)
class NeuralOptions(EncoderOptions):
    """What a neural parser is: its encoder and heads."""

    # CRF chosen by measurement (docs/experiments.md: +1.5 EM, +3.3 slot F1 over softmax)
    slot_decoder: Literal["crf", "softmax"] = "crf"
    top_k: int = 3  # intents reported per parse

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.slot_decoder not in SLOT_DECODERS:
            raise InputError(f"slot_decoder {self.slot_decoder!r}: expected 'softmax' or 'crf'")
        if self.top_k < 1:
            raise InputError(f"top_k {self.top_k}: expected at least 1")


@dataclass(frozen=True)
class TrainingOptions:
    """How an encoder is trained (fine-tuning a parser, masked-LM pretraining)."""

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float | None = None  # None: default_learning_rate()
    weight_decay: float = 0.01
    warmup: float = 0.06  # fraction of the steps
    patience: int = 3  # epochs without dev improvement before stopping (0: never)
    seed: int = 13
    freeze_embeddings: bool = False
    freeze_layers: int = 0  # also keep the embedding block and the lowest N layers fixed (cross-lingual transfer)

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 1 or self.patience < 0 or self.freeze_layers < 0:
            raise InputError(
                f"epochs {self.epochs}, batch_size {self.batch_size}, patience {self.patience}, freeze_layers "
                f"{self.freeze_layers}: expected epochs, patience, freeze_layers >= 0 and batch_size >= 1"
            )
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise InputError(f"learning_rate {self.learning_rate:g}: expected a positive number")
        if not 0.0 <= self.warmup <= 1.0:
            raise InputError(f"warmup {self.warmup:g}: expected a fraction of the steps in [0, 1]")


@dataclass(frozen=True)
class NeuralRuntime:
    """Where and how a run uses the machine; not part of what a model is."""

    jobs: int | None = None  # torch threads (None: torch's default)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    checkpoint_dir: str | None = None  # checkpoint every epoch here and resume from it
    eval_batch_size: int = 128  # utterances per inference batch

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise InputError(f"device {self.device!r}: expected auto, cpu or cuda")
        if self.eval_batch_size < 1:
            raise InputError(f"eval_batch_size {self.eval_batch_size}: expected at least 1")


@dataclass(frozen=True)
class MaskingOptions:
    """Masked-language modelling: BERT's masking, or SpanBERT-style spans."""

    mask_prob: float = 0.15
    span_masking: bool = False
    mean_span: float = 3.0
    heldout: int = 2000  # utterances kept aside to measure masked-token accuracy

    def __post_init__(self) -> None:
        if not 0 < self.mask_prob < 1:
            raise InputError(f"mask_prob {self.mask_prob:g}: expected a fraction between 0 and 1")
        if self.mean_span < 1 or self.heldout < 0:
            raise InputError(f"mean_span {self.mean_span:g}, heldout {self.heldout}: expected >= 1 and >= 0")


def default_learning_rate(spec: EncoderSpec, *, masked_lm: bool = False) -> float:
    """The one rule for the peak learning rate when none is given. Fine-tuning: 5e-4 for a small
    scratch encoder (new or pretrained by `kiloglot pretrain`: small models and fresh heads want a
    high rate), 5e-5 for a Hugging Face encoder (the usual BERT-style fine-tuning rate). Masked-LM
    pretraining: 5e-4 only from nothing; continuing any pretrained encoder uses 5e-5 so that it
    does not forget what it knows."""
    if spec.kind == "scratch" and not (masked_lm and spec.name):
        return 5e-4
    return 5e-5


Alignment = Literal["first", "content"]


def default_word_alignment(spec: EncoderSpec) -> Alignment:
    """``content`` for a Hugging Face encoder: it has read ja/zh only as running text, and a bare "▁" piece
    tells it nothing (the en-US-trained me5-small model rescored with it, whole dev partition: exact match
    zh-CN 9.2 -> 41.2, ja-JP 9.2 -> 37.4, th-TH 29.0 -> 45.3, en-US 70.5 -> 70.4; BENCHMARKS.md).
    ``first`` for a scratch encoder, which learns its pieces from this text anyway: in a manual run on the
    tiny test setting (en-US + ja-JP, one layer; not recorded) ``content`` did worse; not measured at
    full size."""
    return "first" if spec.kind == "scratch" else "content"
