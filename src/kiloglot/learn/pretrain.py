"""Continued self-supervised pretraining: masked-language modelling on unlabelled in-domain text.

The encoder is a ``scratch`` transformer (its tokenizer learned from the text) or any Hugging Face
encoder (``hf:<name-or-path>`` or a folder). The result is a folder that ``kiloglot train --encoder
DIR`` accepts: a Hugging Face model folder for ``hf`` encoders, and for ``scratch`` one with
``encoder.json``, ``tokenizer.json`` and ``encoder.safetensors``. Masking is BERT's (15 % of the
sub-words; 80 % [MASK], 10 % random, 10 % kept) or, with ``span_masking``, SpanBERT-style contiguous
spans (lengths from a geometric distribution, mean ``mean_span``). The loss is computed at the
masked positions only, so a 250k-word output layer costs little. Training reuses the parser's loop:
length buckets, checkpoint/resume, progress, DDP under torchrun.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from kiloglot import options as opt
from kiloglot.errors import InputError
from kiloglot.learn.unlabeled import Utterance
from kiloglot.nlu.artifact import MANIFEST_FILE, atomic_directory, write_json
from kiloglot.nlu.contract import Progress
from kiloglot.nlu.neural.decode import pad_batch
from kiloglot.nlu.neural.encoders import ScratchEncoder, load_hf_tokenizer, scratch_config
from kiloglot.nlu.neural.options import (
    EncoderOptions,
    EncoderSpec,
    MaskingOptions,
    NeuralRuntime,
    TrainingOptions,
    default_learning_rate,
    default_word_alignment,
)
from kiloglot.nlu.neural.tokenization import Encoded, WordTokenizer, scratch_tokenizer
from kiloglot.nlu.neural.training import Distributed, train_loop

log = logging.getLogger(__name__)
SCRATCH_ENCODER_FILE = "encoder.json"
# Pretraining's own defaults: fewer epochs than fine-tuning; the best epoch by held-out masked-token
# accuracy is kept either way, so no early stopping.
PRETRAIN_TRAINING = TrainingOptions(epochs=3, patience=0)


@dataclass(frozen=True)
class PretrainConfig:
    """Everything a pretraining run takes, in its groups (see ``kiloglot.nlu.neural.options``)."""

    encoder: EncoderOptions = field(default_factory=EncoderOptions)
    masking: MaskingOptions = field(default_factory=MaskingOptions)
    training: TrainingOptions = PRETRAIN_TRAINING
    runtime: NeuralRuntime = field(default_factory=NeuralRuntime)

    @classmethod
    def from_options(cls, **options: Any) -> PretrainConfig:
        """``PretrainConfig.from_options(encoder="hf:xlm-roberta-base", epochs=1, mask_prob=0.2)``: each
        keyword goes to the group that declares it; strings are coerced to the declared types."""
        what = "pretraining"
        groups = {
            "encoder": EncoderOptions,
            "masking": MaskingOptions,
            "training": TrainingOptions,
            "runtime": NeuralRuntime,
        }
        given = opt.split(options, groups, what=what)
        return cls(
            opt.build(EncoderOptions, given["encoder"], what=what),
            opt.build(MaskingOptions, given["masking"], what=what),
            opt.build(TrainingOptions, given["training"], what=what, base=PRETRAIN_TRAINING),
            opt.build(NeuralRuntime, given["runtime"], what=what),
        )

    @property
    def spec(self) -> EncoderSpec:
        """The encoder named; an InputError for an unknown one. Cheap: check before reading the text."""
        return EncoderSpec.parse(self.encoder.encoder)


class ScratchMLM(nn.Module):
    """A scratch encoder with a masked-LM head whose output layer shares the token embeddings."""

    def __init__(self, encoder: ScratchEncoder) -> None:
        super().__init__()
        self.encoder = encoder
        dim = encoder.hidden_size
        self.transform = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.LayerNorm(dim))
        self.bias = nn.Parameter(torch.zeros(encoder.tokens.num_embeddings))

    def hidden(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(ids, mask)

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        # Scaled like T5's tied output layer, so the first logits are O(1) and not O(sqrt(dim)).
        return self.transform(states) @ self.encoder.tokens.weight.T / self.encoder.hidden_size**0.5 + self.bias


class HFMLM(nn.Module):
    """A Hugging Face masked-LM model, run as encoder then head so only masked positions are scored."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.encoder = _EncoderView(model)
        head = next((getattr(model, n) for n in ("lm_head", "cls", "lm_predictions") if hasattr(model, n)), None)
        if head is None:
            raise InputError(f"{type(model).__name__} has no masked-LM head (lm_head/cls) kiloglot knows")
        self.head = head

    def hidden(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state  # type: ignore[operator]

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        return self.head(states)


class _EncoderView:
    """What the training loop's freezing options need from an encoder (not a module: no double registration)."""

    def __init__(self, model: nn.Module) -> None:
        self._model = model

    def input_embeddings(self) -> nn.Module:
        return self._model.get_input_embeddings()  # type: ignore[operator]

    def lower_layers(self, n: int) -> list[nn.Module]:
        from kiloglot.nlu.neural.encoders import HFEncoder

        return HFEncoder(self._model.base_model).lower_layers(n)  # type: ignore[arg-type]


def mask_tokens(
    ids: torch.Tensor,
    maskable: torch.Tensor,
    options: MaskingOptions,
    mask_id: int,
    vocab: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted ids, target ids with -100 where nothing is predicted). ``maskable``: real, non-special tokens."""
    shape = ids.shape
    if options.span_masking:
        chosen = torch.zeros(shape, dtype=torch.bool)
        p = 1.0 / options.mean_span
        for r in range(shape[0]):
            pos = maskable[r].nonzero().flatten().tolist()
            budget = max(1, round(options.mask_prob * len(pos))) if pos else 0
            while budget > 0 and pos:
                length = min(10, budget, int(torch.distributions.Geometric(torch.tensor(p)).sample().item()) + 1)
                start = pos[int(torch.randint(len(pos), (1,), generator=generator))]
                span = [q for q in range(start, start + length) if q in pos and not chosen[r, q]]
                for q in span:
                    chosen[r, q] = True
                budget -= max(1, len(span))
    else:
        chosen = (torch.rand(shape, generator=generator) < options.mask_prob) & maskable
        # every utterance predicts at least one token
        none = maskable.any(1) & ~chosen.any(1)
        for r in none.nonzero().flatten().tolist():
            cand = maskable[r].nonzero().flatten()
            chosen[r, cand[int(torch.randint(len(cand), (1,), generator=generator))]] = True
    targets = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(shape, generator=generator)
    corrupted = ids.clone()
    corrupted[chosen & (roll < 0.8)] = mask_id
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    corrupted[swap] = torch.randint(vocab, (int(swap.sum()),), generator=generator)
    return corrupted, targets


def _batch(
    encs: Sequence[Encoded], tok: WordTokenizer, special: set[int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ids, mask, _ = pad_batch(encs, tok.pad_id)
    ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
    maskable = (mask_t == 1) & ~torch.isin(ids_t, torch.tensor(sorted(special)))
    return ids_t, mask_t, maskable


def mlm_loss(tok: WordTokenizer, options: MaskingOptions, special: set[int], vocab: int):  # type: ignore[no-untyped-def]
    def loss(model: nn.Module, wrapped: nn.Module, items: Sequence[Any], device: torch.device) -> torch.Tensor:
        ids, mask, maskable = _batch([Encoded(it[0], []) for it in items], tok, special)
        corrupted, targets = mask_tokens(ids, maskable, options, tok.mask_id, vocab)  # type: ignore[arg-type]
        states = model.hidden(corrupted.to(device), mask.to(device))  # type: ignore[operator]
        where = targets.to(device) != -100
        logits = model.predict(states[where])  # type: ignore[operator]
        return nn.functional.cross_entropy(logits.float(), targets.to(device)[where])

    return loss


@torch.inference_mode()
def masked_accuracy(
    model: nn.Module,
    encs: Sequence[Encoded],
    tok: WordTokenizer,
    options: MaskingOptions,
    special: set[int],
    vocab: int,
    seed: int,
) -> dict[str, float]:
    """Masked-token accuracy and loss on held-out utterances, with the same masks every call."""
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    hit = total = 0
    loss_sum = 0.0
    for b in range(0, len(encs), 128):
        ids, mask, maskable = _batch(encs[b : b + 128], tok, special)
        corrupted, targets = mask_tokens(ids, maskable, options, tok.mask_id, vocab, gen)  # type: ignore[arg-type]
        states = model.hidden(corrupted.to(device), mask.to(device))  # type: ignore[operator]
        where = targets.to(device) != -100
        logits = model.predict(states[where]).float()  # type: ignore[operator]
        gold = targets.to(device)[where]
        hit += int((logits.argmax(-1) == gold).sum())
        total += int(gold.numel())
        loss_sum += float(nn.functional.cross_entropy(logits, gold, reduction="sum"))
    model.train()
    return {
        "masked_token_accuracy": hit / max(1, total),
        "masked_lm_loss": loss_sum / max(1, total),
        "masked_tokens": total,
    }


def pretrain(
    utterances: Sequence[Utterance],
    out: str | Path,
    config: PretrainConfig | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Run masked-LM pretraining and write the encoder folder; returns the report (also pretrain.json).
    ``options`` are keyword options as ``PretrainConfig.from_options`` takes them."""
    if config is None:
        config = PretrainConfig.from_options(**options)
    elif options:
        raise InputError("give either a PretrainConfig or keyword options, not both")
    if len(utterances) < 10:
        raise InputError(f"{len(utterances)} unlabelled utterances: expected at least 10 to pretrain on")
    spec = config.spec
    enc, masking, runtime = config.encoder, config.masking, config.runtime
    training = config.training
    if training.learning_rate is None:
        training = replace(training, learning_rate=default_learning_rate(spec, masked_lm=True))
    if runtime.jobs:
        torch.set_num_threads(runtime.jobs)
    torch.manual_seed(training.seed)
    rng = np.random.default_rng(training.seed)
    order = rng.permutation(len(utterances))
    n_held = min(masking.heldout, len(utterances) // 10)
    held = [utterances[i] for i in order[:n_held]]
    train = [utterances[i] for i in order[n_held:]]
    hf_tok: Any = None
    encoder_config: dict[str, Any] = {}
    if spec.kind == "scratch" and not spec.name:
        tok = scratch_tokenizer((u.text for u in train), enc.vocab_size, enc.max_len)
        encoder_config = scratch_config(enc, tok.vocab_size, tok.pad_id)
        model: nn.Module = ScratchMLM(ScratchEncoder(**encoder_config))
    elif spec.kind == "scratch":
        from kiloglot.nlu.neural.encoders import load_scratch_encoder

        try:
            tok, encoder, encoder_config = load_scratch_encoder(Path(spec.name), enc.max_len)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        model = ScratchMLM(encoder)
        head = Path(spec.name) / "mlm_head.safetensors"
        if head.is_file():
            from safetensors.torch import load_file

            model.load_state_dict({**model.state_dict(), **load_file(str(head))})
    else:
        from transformers import AutoModelForMaskedLM

        try:
            tok, hf_tok = load_hf_tokenizer(spec.name, enc.max_len)
            model = HFMLM(AutoModelForMaskedLM.from_pretrained(spec.name, dtype=torch.float32))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load Hugging Face encoder {spec.name!r} as a masked LM: {exc}") from None
    tok.alignment = enc.word_alignment or default_word_alignment(spec)
    if tok.mask_id is None:
        raise InputError(f"the tokenizer of {enc.encoder!r} has no mask token: masked-LM pretraining needs one")
    special = {i for i in (tok.pad_id, tok.mask_id, *_special_ids(tok)) if i is not None}
    vocab = tok.vocab_size
    encs = tok.encode_batch([list(u.words) for u in train])
    held_encs = tok.encode_batch([list(u.words) for u in held])
    items = [(e.ids,) for e in encs]
    seed = training.seed
    before = masked_accuracy(model, held_encs, tok, masking, special, vocab, seed)
    log.info("held-out masked-token accuracy before: %.2f%%", 100 * before["masked_token_accuracy"])
    dist = Distributed(runtime.device)
    t0 = time.perf_counter()
    recorded = {"encoder": asdict(enc), "masking": asdict(masking), "training": asdict(training)}
    run = {**recorded, "n": len(train), "first": train[0].text, "last": train[-1].text}
    best, reports = train_loop(
        model=model,
        items=items,
        pad_id=tok.pad_id,
        training=training,
        runtime=runtime,
        dist=dist,
        evaluate=lambda m: masked_accuracy(m, held_encs, tok, masking, special, vocab, seed)["masked_token_accuracy"],
        fingerprint=json.dumps(run, sort_keys=True),
        progress=progress,
        batch_loss=mlm_loss(tok, masking, special, vocab),
        metric_name="held-out masked-token accuracy",
    )
    model.load_state_dict(best)
    model.to("cpu")
    after = masked_accuracy(model, held_encs, tok, masking, special, vocab, seed)
    report = {
        "encoder": enc.encoder,
        "options": recorded,
        "utterances": len(train),
        "heldout": len(held),
        "locales": sorted({u.locale for u in utterances}),
        "seconds": round(time.perf_counter() - t0, 1),
        "before": before,
        "after": after,
        "epochs": [asdict(r) for r in reports],
    }
    if dist.main:
        _save(model, tok, hf_tok, encoder_config, Path(out), report)
    return report


def _special_ids(tok: WordTokenizer) -> list[int]:
    return [
        i for t in ("[CLS]", "[SEP]", "<s>", "</s>", "[UNK]", "<unk>") if (i := tok.backend.token_to_id(t)) is not None
    ]


def _save(
    model: nn.Module, tok: WordTokenizer, hf_tok: Any, config: dict[str, Any], out: Path, report: dict[str, Any]
) -> None:
    from safetensors.torch import save_file

    with atomic_directory(out) as tmp:
        if isinstance(model, HFMLM):
            model.model.save_pretrained(str(tmp))  # type: ignore[operator]
            hf_tok.save_pretrained(str(tmp))
        else:
            assert isinstance(model, ScratchMLM)
            state = {k: v.detach().contiguous() for k, v in model.encoder.state_dict().items()}
            save_file(state, str(tmp / "encoder.safetensors"))
            head = {k: v.detach().contiguous() for k, v in model.state_dict().items() if not k.startswith("encoder.")}
            save_file(head, str(tmp / "mlm_head.safetensors"))
            tok.save(tmp)
            write_json(tmp / SCRATCH_ENCODER_FILE, {"kind": "scratch", "config": config})
        write_json(tmp / "pretrain.json", report)
        # atomic_directory refuses to replace a folder without a manifest; mark this one as ours (an
        # encoder, not a parser: `load` refuses it, `train --encoder` takes it)
        write_json(
            tmp / MANIFEST_FILE,
            {"library": "kiloglot", "kind": "encoder", "created_by": "kiloglot pretrain", "encoder": report["encoder"]},
        )
