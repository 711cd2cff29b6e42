"""The joint model: encoder, an intent head over mean-pooled states, a slot head over first sub-words.

Slots are decoded per word with a softmax, or with a linear-chain CRF over the word labels
(pytorch-crf) when ``crf=True``: the CRF learns which label may follow which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from kiloglot.nlu.neural.encoders import Encoder


class JointModel(nn.Module):
    def __init__(self, encoder: Encoder, n_intents: int, n_slots: int, dropout: float = 0.1, crf: bool = False) -> None:
        super().__init__()
        self.encoder = encoder
        dim = encoder.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(dim, n_intents)
        self.slot_head = nn.Linear(dim, n_slots)
        if crf:
            from torchcrf import CRF

            self.crf: Any = CRF(n_slots, batch_first=True)  # pytorch-crf ships no type information
        else:
            self.crf = None

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, word_index: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids, attention_mask)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        intent_logits = self.intent_head(self.dropout(pooled))
        idx = word_index.clamp(min=0).unsqueeze(-1).expand(-1, -1, hidden.shape[-1])
        words = hidden.gather(1, idx)
        slot_logits = self.slot_head(self.dropout(words))
        return intent_logits, slot_logits

    def decode_slots(self, slot_logits: torch.Tensor, word_index: torch.Tensor) -> list[list[int]]:
        """Best label per word: argmax, or the CRF's Viterbi path over the words that have a sub-word."""
        if self.crf is None:
            return slot_logits.argmax(-1).tolist()
        mask = word_index >= 0
        mask[:, 0] = True  # the CRF needs a first position; an empty utterance has none to label
        decoded: list[list[int]] = self.crf.decode(slot_logits.float(), mask)
        return decoded


def joint_loss(
    intent_logits: torch.Tensor,
    slot_logits: torch.Tensor,
    intents: torch.Tensor,
    slots: torch.Tensor,
    crf: nn.Module | None = None,
) -> torch.Tensor:
    """Intent cross-entropy plus the slot loss: per-word cross-entropy (padding words carry label -100),
    or the CRF's negative log-likelihood per word."""
    ce = nn.functional.cross_entropy
    intent = ce(intent_logits, intents)
    if crf is None:
        return intent + ce(slot_logits.reshape(-1, slot_logits.shape[-1]), slots.reshape(-1), ignore_index=-100)
    mask = slots != -100
    mask[:, 0] = True
    return intent - crf(slot_logits.float(), slots.clamp(min=0), mask, reduction="token_mean")


def crf_marginals(
    emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, end: torch.Tensor, transitions: torch.Tensor
) -> torch.Tensor:
    """Posterior probability of each label at each word under a linear-chain CRF (forward-backward).

    emissions [B, W, S]; mask [B, W] (a prefix of True per row); start/end [S]; transitions [S, S]
    (torchcrf's parametrisation: transitions[i, j] scores label i followed by j). Positions past a
    row's length get the probabilities of its last word (callers ignore them).
    """
    b, w, s = emissions.shape
    alphas = [start[None] + emissions[:, 0]]
    for k in range(1, w):
        nxt = torch.logsumexp(alphas[-1][:, :, None] + transitions[None], dim=1) + emissions[:, k]
        alphas.append(torch.where(mask[:, k, None], nxt, alphas[-1]))
    betas = [end[None].expand(b, s)]
    for k in range(w - 2, -1, -1):
        nxt = torch.logsumexp(transitions[None] + (emissions[:, k + 1] + betas[0])[:, None, :], dim=2)
        betas.insert(0, torch.where(mask[:, k + 1, None], nxt, end[None].expand(b, s)))
    scores = torch.stack(alphas, 1) + torch.stack(betas, 1)
    return torch.softmax(scores, -1)
