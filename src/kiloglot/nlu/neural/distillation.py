"""Knowledge distillation on the PyTorch side: a teacher's soft targets and the student's loss.

Soft targets are the teacher's intent distribution and per-word slot distributions at temperature
T (for a CRF teacher, the CRF's per-word posterior marginals). The student (softmax slot decoder)
learns from ``hard_weight * gold-or-teacher labels + (1 - hard_weight) * T^2 * KL(teacher || student)``
on both heads (Hinton et al., 2015; T^2 keeps the gradient scale independent of T).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from kiloglot.nlu.neural.decode import length_batches, pad_batch
from kiloglot.nlu.neural.model import JointModel, crf_marginals
from kiloglot.nlu.neural.tokenization import Encoded
from kiloglot.nlu.neural.training import BatchLoss, collate


@torch.inference_mode()
def teacher_distributions(
    model: JointModel, encs: Sequence[Encoded], pad_id: int, temperature: float, batch_size: int = 128
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Intent [N, I] and per-word slot [words, S] distributions of a joint model at temperature T.

    Rows of words with no sub-word (dropped by the tokenizer, or truncated) are filler: the student
    loss skips them, as decoding labels them Other."""
    model.eval()
    device = next(model.parameters()).device
    intents: list[np.ndarray | None] = [None] * len(encs)
    slots: list[np.ndarray | None] = [None] * len(encs)
    for idx in length_batches(encs, batch_size):
        ids, mask, widx = (torch.from_numpy(a).to(device) for a in pad_batch([encs[i] for i in idx], pad_id))
        intent_logits, slot_logits = model(ids, mask, widx)
        ip = torch.softmax(intent_logits.float() / temperature, -1).cpu().numpy()
        em = slot_logits.float() / temperature
        if model.crf is not None:
            wmask = widx >= 0
            wmask[:, 0] = True
            crf = model.crf
            sp = (
                crf_marginals(
                    em,
                    wmask,
                    crf.start_transitions / temperature,
                    crf.end_transitions / temperature,
                    crf.transitions / temperature,
                )
                .cpu()
                .numpy()
            )
        else:
            sp = torch.softmax(em, -1).cpu().numpy()
        for r, i in enumerate(idx):
            intents[i], slots[i] = ip[r], sp[r, : len(encs[i].first)].astype(np.float32)
    return np.stack([i for i in intents if i is not None]).astype(np.float32), [s for s in slots if s is not None]


def distillation_loss(pad_id: int, temperature: float, hard_weight: float) -> BatchLoss:
    """Items are (ids, first, intent id, slot ids, intent distribution [I], slot distributions [words, S])."""
    kl = nn.functional.kl_div
    ce = nn.functional.cross_entropy

    def loss(model: nn.Module, wrapped: nn.Module, items: Sequence, device: torch.device) -> torch.Tensor:
        batch = collate([it[:4] for it in items], pad_id).to(device)
        intent_logits, slot_logits = wrapped(batch.input_ids, batch.attention_mask, batch.word_index)
        n_slots = slot_logits.shape[-1]
        hard = ce(intent_logits, batch.intents) + ce(
            slot_logits.reshape(-1, n_slots), batch.slots.reshape(-1), ignore_index=-100
        )
        t_int = torch.from_numpy(np.stack([it[4] for it in items])).to(device)
        t_slot = np.zeros(slot_logits.shape, dtype=np.float32)
        for r, it in enumerate(items):
            t_slot[r, : len(it[5])] = it[5]
        t_slot_t = torch.from_numpy(t_slot).to(device)
        words = batch.slots != -100
        s_int = torch.log_softmax(intent_logits / temperature, -1)
        soft_intent = kl(s_int, t_int, reduction="batchmean")
        s_slot = torch.log_softmax(slot_logits[words] / temperature, -1)
        soft_slot = kl(s_slot, t_slot_t[words], reduction="batchmean") if words.any() else slot_logits.sum() * 0
        soft = temperature**2 * (soft_intent + soft_slot)
        return hard_weight * hard + (1 - hard_weight) * soft

    return loss
