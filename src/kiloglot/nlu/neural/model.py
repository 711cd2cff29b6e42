"""The joint model: encoder, an intent head over mean-pooled states, a slot head over first sub-words."""

from __future__ import annotations

import torch
from torch import nn


class JointModel(nn.Module):
    def __init__(self, encoder: nn.Module, n_intents: int, n_slots: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        dim = encoder.hidden_size  # type: ignore[attr-defined]
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(dim, n_intents)
        self.slot_head = nn.Linear(dim, n_slots)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                word_index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids, attention_mask)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        intent_logits = self.intent_head(self.dropout(pooled))
        idx = word_index.clamp(min=0).unsqueeze(-1).expand(-1, -1, hidden.shape[-1])
        words = hidden.gather(1, idx)
        slot_logits = self.slot_head(self.dropout(words))
        return intent_logits, slot_logits


def joint_loss(intent_logits: torch.Tensor, slot_logits: torch.Tensor, intents: torch.Tensor,
               slots: torch.Tensor) -> torch.Tensor:
    """Intent cross-entropy plus per-word slot cross-entropy (padding words carry label -100)."""
    ce = nn.functional.cross_entropy
    return ce(intent_logits, intents) + ce(slot_logits.reshape(-1, slot_logits.shape[-1]), slots.reshape(-1), ignore_index=-100)
