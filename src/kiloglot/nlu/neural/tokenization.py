"""Sub-word tokenizers behind one interface: MASSIVE words in, ids and first-sub-word positions out.

A ``scratch`` tokenizer is a Unigram model (Hugging Face ``tokenizers``) learned from the training
text; a ``hf`` tokenizer is any fast tokenizer loaded with ``AutoTokenizer``. Both are driven through
their ``tokenizers.Tokenizer`` backend with pre-tokenized input, so each MASSIVE word (a character in
ja/zh) maps to its own sub-words and predictions map 1:1 onto the official word segmentation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_unigram(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """Learn a multilingual Unigram tokenizer (NFKC, lower-cased, Metaspace) from raw utterances."""
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, unk_token="[UNK]",
                                      shrinking_factor=0.75, max_piece_length=12, show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    tok = _canonical_order(tok)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return tok


def _canonical_order(tok: Tokenizer) -> Tokenizer:
    """Make training reproducible. The trainer's parallel EM leaves run-dependent last bits in the
    piece scores, and the single characters it appends to cover the alphabet get scores just below
    every learned piece in hash-map order. Round the scores, give those characters scores in sorted
    order, and sort all pieces, so the same text always gives the same ids."""
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    n = len(SPECIAL_TOKENS)
    rest = [[piece, round(score, 6)] for piece, score in vocab[n:]]
    # The appended characters score min + 1e-4, min + 2e-4, ... above the lowest learned piece.
    low = min((score for _, score in rest), default=0.0)
    singles = sorted((score, piece) for piece, score in rest if len(piece) == 1)
    block: list[str] = []
    for j, (score, piece) in enumerate(singles, start=1):
        if score > low + j * 1e-4 + 1e-6:
            break
        block.append(piece)
    values = sorted((score for score, piece in singles[: len(block)]), reverse=True)
    reassigned = dict(zip(sorted(block), values))
    rest = [[p, reassigned.get(p, score)] for p, score in rest]
    rest = sorted(rest, key=lambda ps: (-ps[1], ps[0]))
    spec["model"]["vocab"] = vocab[:n] + rest
    return Tokenizer.from_str(json.dumps(spec))


@dataclass
class Encoded:
    ids: list[int]
    first: list[int]  # per word: position of its first sub-word, -1 if it has none (or was truncated)


class WordTokenizer:
    """Encode lists of words for the joint model."""

    def __init__(self, backend: Tokenizer, pad_id: int, mask_id: int | None, max_len: int) -> None:
        self.backend = backend
        self.backend.no_truncation()
        self.backend.no_padding()
        self.pad_id = pad_id
        self.mask_id = mask_id
        self.max_len = max_len

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, words: Sequence[str]) -> Encoded:
        return self.encode_batch([words])[0]

    def encode_batch(self, batch: Sequence[Sequence[str]]) -> list[Encoded]:
        out = []
        for enc in self.backend.encode_batch([list(w) for w in batch], is_pretokenized=True):
            ids = enc.ids
            word_ids = enc.word_ids
            n_words = 1 + max((w for w in word_ids if w is not None), default=-1)
            first = [-1] * n_words
            if len(ids) > self.max_len:  # keep the final special token
                ids = ids[: self.max_len - 1] + ids[-1:]
                word_ids = word_ids[: self.max_len - 1] + [None]
            for pos, w in enumerate(word_ids):
                if w is not None and first[w] < 0:
                    first[w] = pos
            out.append(Encoded(list(ids), first))
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, directory: Path, hf_tokenizer: object | None = None) -> None:
        if hf_tokenizer is not None:
            hf_tokenizer.save_pretrained(directory / "tokenizer")  # type: ignore[attr-defined]
        else:
            self.backend.save(str(directory / "tokenizer.json"))


def scratch_tokenizer(texts: Iterable[str], vocab_size: int, max_len: int) -> WordTokenizer:
    tok = train_unigram(texts, vocab_size)
    return WordTokenizer(tok, tok.token_to_id("[PAD]"), tok.token_to_id("[MASK]"), max_len)


def load_scratch_tokenizer(path: Path, max_len: int) -> WordTokenizer:
    tok = Tokenizer.from_file(str(path))
    return WordTokenizer(tok, tok.token_to_id("[PAD]"), tok.token_to_id("[MASK]"), max_len)


def load_hf_tokenizer(name_or_path: str | Path, max_len: int):  # type: ignore[no-untyped-def]
    """Returns (WordTokenizer, the transformers tokenizer) for a Hugging Face name or folder."""
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(name_or_path), use_fast=True)
    if not getattr(hf, "is_fast", False):
        raise ValueError(f"{name_or_path}: a fast (Rust) tokenizer is needed to align sub-words with words")
    pad = hf.pad_token_id if hf.pad_token_id is not None else 0
    return WordTokenizer(hf.backend_tokenizer, pad, hf.mask_token_id, max_len), hf
