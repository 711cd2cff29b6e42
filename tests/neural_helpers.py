"""Small neural fixtures built locally in the tests (no hub)."""

from __future__ import annotations

from pathlib import Path

TINY = {
    "dim": 64,
    "layers": 1,
    "heads": 2,
    "ff": 128,
    "vocab_size": 1200,
    "batch_size": 32,
    "learning_rate": 3e-3,
    "patience": 0,
    "max_len": 48,
    "seed": 5,
}


def tiny_hf_encoder(directory: Path, texts: list[str], masked_lm: bool = False) -> None:
    """A random BERT and a WordPiece fast tokenizer, built and saved locally (no hub)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertForMaskedLM, BertModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=800, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    )
    from tokenizers import processors

    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    fast.save_pretrained(directory)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    (BertForMaskedLM if masked_lm else BertModel)(config).save_pretrained(directory)
