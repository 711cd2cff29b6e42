"""Encoders behind one interface: ``forward(input_ids, attention_mask) -> hidden states``.

``scratch``: a small pre-norm transformer trained from nothing. ``hf:<name-or-path>``: any Hugging
Face encoder through ``AutoModel``; in a saved artifact its config travels with the weights, so
loading never touches the hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from kiloglot.nlu.neural.options import EncoderOptions
from kiloglot.nlu.neural.tokenization import WordTokenizer


class Encoder(nn.Module):
    """What the joint model and the training loop need of an encoder: ``forward(input_ids, attention_mask)
    -> hidden states``, its width, and the modules that freezing options keep fixed."""

    hidden_size: int

    def input_embeddings(self) -> nn.Module:
        raise NotImplementedError

    def lower_layers(self, n: int) -> list[nn.Module]:
        raise NotImplementedError


class ScratchEncoder(Encoder):
    def __init__(
        self, vocab_size: int, dim: int, layers: int, heads: int, ff: int, max_len: int, dropout: float, pad_id: int
    ) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.positions = nn.Embedding(max_len, dim)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            dim, heads, ff, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.hidden_size = dim

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.dropout(self.tokens(input_ids) + self.positions(pos)[None])
        x = self.layers(x, src_key_padding_mask=attention_mask == 0)
        return self.norm(x)

    def input_embeddings(self) -> nn.Embedding:
        return self.tokens

    def lower_layers(self, n: int) -> list[nn.Module]:
        return [self.tokens, self.positions, *list(self.layers.layers)[:n]]


class HFEncoder(Encoder):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.hidden_size = int(getattr(model, "config").hidden_size)  # noqa: B009 - a transformers config

    @classmethod
    def pretrained(cls, name_or_path: str) -> HFEncoder:
        from transformers import AutoModel

        return cls(AutoModel.from_pretrained(name_or_path, dtype=torch.float32))

    @classmethod
    def from_config_dir(cls, directory: Path) -> HFEncoder:
        from transformers import AutoConfig, AutoModel

        return cls(AutoModel.from_config(AutoConfig.from_pretrained(str(directory))))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def input_embeddings(self) -> nn.Module:
        return self.model.get_input_embeddings()  # type: ignore[operator]

    def lower_layers(self, n: int) -> list[nn.Module]:
        """The embedding block and the first n transformer layers (the ModuleList of hidden layers)."""
        depth = int(getattr(self.model.config, "num_hidden_layers", 0))
        stacks = [m for m in self.model.modules() if isinstance(m, nn.ModuleList) and len(m) == depth]
        if not stacks:
            raise ValueError(f"cannot find the {depth} hidden layers of {type(self.model).__name__}")
        embeddings = getattr(self.model, "embeddings", None) or self.input_embeddings()
        return [embeddings, *list(stacks[0])[:n]]

    def save_config(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        getattr(self.model, "config").save_pretrained(str(directory))  # noqa: B009 - a transformers config


def scratch_config(options: EncoderOptions, vocab_size: int, pad_id: int) -> dict[str, Any]:
    return {
        "vocab_size": vocab_size,
        "dim": options.dim,
        "layers": options.layers,
        "heads": options.heads,
        "ff": options.ff,
        "max_len": options.max_len,
        "dropout": options.dropout,
        "pad_id": pad_id,
    }


def load_scratch_encoder(directory: Path, max_len: int) -> tuple[Any, ScratchEncoder, dict[str, Any]]:
    """(tokenizer, encoder with its pretrained weights, encoder config) from a `kiloglot pretrain` folder."""
    import json

    from safetensors.torch import load_file

    from kiloglot.nlu.neural.tokenization import load_scratch_tokenizer

    try:
        spec = json.loads((directory / "encoder.json").read_text(encoding="utf-8"))
        config = dict(spec["config"])
        tok = load_scratch_tokenizer(directory / "tokenizer.json", min(max_len, int(config["max_len"])))
        encoder = ScratchEncoder(**config)
        encoder.load_state_dict(load_file(str(directory / "encoder.safetensors")))
    except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{directory} is not a complete pretrained scratch encoder: {exc}") from None
    return tok, encoder, config


def load_hf_tokenizer(name_or_path: str | Path, max_len: int, alignment: str = "content") -> tuple[WordTokenizer, Any]:
    """(WordTokenizer, the transformers tokenizer) for a Hugging Face name or folder. Here, beside the
    Hugging Face encoder, so that tokenization itself (what the ONNX runtime uses) never imports transformers."""
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(name_or_path), use_fast=True)
    if not getattr(hf, "is_fast", False):
        raise ValueError(f"{name_or_path}: a fast (Rust) tokenizer is needed to align sub-words with words")
    pad = hf.pad_token_id if hf.pad_token_id is not None else 0
    return WordTokenizer(hf.backend_tokenizer, pad, hf.mask_token_id, max_len, alignment), hf
