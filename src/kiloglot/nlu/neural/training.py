"""Training loop: mixed-locale length-bucketed batches, early stopping on dev exact match,
checkpoint/resume, DDP under torchrun (gloo on CPU, nccl on CUDA) with no code change."""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import torch
from torch import nn

from kiloglot.errors import InputError, ModelError
from kiloglot.fileio import atomic_write
from kiloglot.nlu.neural.decode import pad_batch
from kiloglot.nlu.neural.model import joint_loss
from kiloglot.nlu.neural.options import NeuralRuntime, TrainingOptions
from kiloglot.nlu.neural.tokenization import Encoded

log = logging.getLogger(__name__)


class Freezable(Protocol):
    """What the freezing options need of an encoder."""

    def input_embeddings(self) -> nn.Module: ...

    def lower_layers(self, n: int) -> list[nn.Module]: ...


@dataclass
class Batch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    word_index: torch.Tensor
    intents: torch.Tensor
    slots: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(
            *(
                t.to(device, non_blocking=True)
                for t in (self.input_ids, self.attention_mask, self.word_index, self.intents, self.slots)
            )
        )


def collate(items: Sequence[tuple[list[int], list[int], int, list[int]]], pad_id: int) -> Batch:
    """items: (ids, first positions per word, intent id, slot id per word). Padding as at inference."""
    ids, mask, widx = pad_batch([Encoded(a, first) for a, first, _, _ in items], pad_id)
    slots = np.full(widx.shape, -100, dtype=np.int64)
    for r, (_, first, _, s) in enumerate(items):
        for k, (p, lab) in enumerate(zip(first, s)):
            if p >= 0:
                slots[r, k] = lab
    intents = torch.tensor([i[2] for i in items], dtype=torch.long)
    return Batch(
        torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(widx), intents, torch.from_numpy(slots)
    )


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, sort by length inside chunks of 50 batches, cut into batches, shuffle the batches.

    Utterances of every locale mix in a batch; padding stays small.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


class Distributed:
    """World info from torchrun's environment; a no-op when run as one process."""

    def __init__(self, device_pref: str) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda")
        if self.world > 1:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group(backend="nccl" if use_cuda else "gloo")
        if use_cuda:
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel as DDP

        return DDP(
            model, device_ids=[self.local_rank] if self.device.type == "cuda" else None, find_unused_parameters=False
        )

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def broadcast_flag(self, flag: bool) -> bool:
        if self.world == 1:
            return flag
        import torch.distributed as dist

        t = torch.tensor([1 if flag else 0], device=self.device if self.device.type == "cuda" else "cpu")
        dist.broadcast(t, 0)
        return bool(t.item())


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))  # a crash mid-write keeps the previous checkpoint


def load_checkpoint(path: Path) -> dict[str, Any]:
    # weights_only: the restricted unpickler (tensors and plain containers only).
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or foreign file: one clear line, not a traceback
        raise ModelError(
            f"checkpoint {path} cannot be read ({exc.__class__.__name__}): remove it to start afresh"
        ) from None


@dataclass
class EpochReport:
    epoch: int
    train_loss: float
    dev_exact_match: float | None
    seconds: float
    utterances_per_s: float


BatchLoss = Callable[[nn.Module, nn.Module, Sequence[Any], torch.device], torch.Tensor]


def supervised_loss(pad_id: int) -> BatchLoss:
    """The joint loss on gold labels; items are (ids, first positions, intent id, slot ids)."""

    def loss(model: nn.Module, wrapped: nn.Module, items: Sequence[Any], device: torch.device) -> torch.Tensor:
        batch = collate(items, pad_id).to(device)
        intent_logits, slot_logits = wrapped(batch.input_ids, batch.attention_mask, batch.word_index)
        return joint_loss(intent_logits, slot_logits, batch.intents, batch.slots, getattr(model, "crf", None))

    return loss


def train_loop(
    *,
    model: nn.Module,
    items: Sequence[Any],
    pad_id: int,
    training: TrainingOptions,
    runtime: NeuralRuntime,
    dist: Distributed,
    evaluate: Callable[[nn.Module], float] | None,
    fingerprint: str,
    progress: Callable[[str, float], None] | None = None,
    batch_loss: BatchLoss | None = None,
    metric_name: str = "dev exact match",
) -> tuple[dict[str, torch.Tensor], list[EpochReport]]:
    """Train; return the best state dict (by dev exact match, else the last) and per-epoch reports.

    Items start with (token ids, ...); ``batch_loss`` turns a batch of items into a loss (default: the
    supervised joint loss; distillation passes its own)."""
    device = dist.device
    batch_loss = batch_loss or supervised_loss(pad_id)
    model.to(device)
    encoder = cast(Freezable, getattr(model, "encoder"))  # noqa: B009 - every trained model has one
    if training.freeze_embeddings:
        for p in encoder.input_embeddings().parameters():
            p.requires_grad = False
    if training.freeze_layers:
        try:
            frozen = encoder.lower_layers(training.freeze_layers)
        except ValueError as exc:
            raise InputError(f"freeze_layers={training.freeze_layers}: {exc}") from None
        for module in frozen:
            for p in module.parameters():
                p.requires_grad = False
    wrapped = dist.wrap(model)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": training.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=training.learning_rate or 0.0,  # resolved by the caller (default_learning_rate)
    )
    lengths = [len(i[0]) for i in items]
    per_rank = math.ceil(len(items) / training.batch_size) // dist.world
    total_steps = max(1, per_rank * training.epochs)
    warmup = max(1, int(training.warmup * total_steps))

    def lr_lambda(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    start_epoch, best_em, best_state, stale = 0, -1.0, None, 0
    reports: list[EpochReport] = []
    if dist.main:
        log.info(
            f"training on {device.type} with {dist.world} process(es), {len(items):,} utterances, "
            f"{sum(p.numel() for p in params):,} trainable parameters"
        )
    ckpt = Path(runtime.checkpoint_dir) / "checkpoint.pt" if runtime.checkpoint_dir else None
    if ckpt is not None and ckpt.is_file():
        state = load_checkpoint(ckpt)
        if state.get("fingerprint") != fingerprint:
            raise InputError(
                f"checkpoint {ckpt} belongs to another run (different data or options): "
                "remove it or choose another checkpoint folder"
            )
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start_epoch, best_em, stale = int(state["epoch"]), float(state["best_em"]), int(state["stale"])
        best_state = state.get("best_model")
        reports = [EpochReport(**r) for r in state.get("reports", [])]
        if dist.main:
            log.info(f"resumed from {ckpt} after epoch {start_epoch}")
    for epoch in range(start_epoch, training.epochs):
        rng = random.Random(training.seed * 1000 + epoch)  # same batches on every rank and on resume
        torch.manual_seed(training.seed * 1000 + epoch + dist.rank)
        batches = bucketed_batches(lengths, training.batch_size, rng)[: per_rank * dist.world]
        mine = batches[dist.rank :: dist.world]
        wrapped.train()
        t0, seen, loss_sum = time.perf_counter(), 0, 0.0
        for step, idx in enumerate(mine):
            loss = batch_loss(model, wrapped, [items[i] for i in idx], device)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            seen += len(idx)
            loss_sum += loss.detach().item()
            if progress and dist.main and (step + 1) * 20 // len(mine) > step * 20 // len(mine):  # 20 ticks an epoch
                rate = seen * dist.world / (time.perf_counter() - t0)
                progress(f"epoch {epoch + 1}/{training.epochs} loss {loss_sum / (step + 1):.3f} {rate:,.0f} utt/s", 0.0)
        secs = time.perf_counter() - t0
        em = None
        if dist.main and evaluate is not None:
            model.eval()
            em = evaluate(model)
        improved = em is None or em > best_em
        if dist.main and improved:
            best_em = em if em is not None else best_em
            best_state = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
            stale = 0
        elif dist.main:
            stale += 1
        rep = EpochReport(epoch + 1, loss_sum / max(1, len(mine)), em, secs, seen * dist.world / secs)
        reports.append(rep)
        if dist.main:
            log.info(
                f"epoch {epoch + 1}: loss {rep.train_loss:.4f}, {metric_name} "
                f"{'-' if em is None else f'{100 * em:.2f}'}, {rep.utterances_per_s:,.0f} utt/s, {secs:.0f}s"
            )
            if ckpt is not None:
                save_checkpoint(
                    ckpt,
                    {
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(),
                        "epoch": epoch + 1,
                        "best_em": best_em,
                        "stale": stale,
                        "best_model": best_state,
                        "fingerprint": fingerprint,
                        "reports": [r.__dict__ for r in reports],
                    },
                )
        stop = dist.broadcast_flag(dist.main and training.patience > 0 and stale >= training.patience)
        dist.barrier()
        if stop:
            if dist.main:
                log.info(f"early stop: no dev improvement for {training.patience} epoch(s)")
            break
    final = best_state if best_state is not None else {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
    return final, reports
