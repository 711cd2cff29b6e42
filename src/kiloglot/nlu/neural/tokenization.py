"""Sub-word tokenizers behind one interface: MASSIVE words in, ids and first-sub-word positions out.

A ``scratch`` tokenizer is a Unigram model (Hugging Face ``tokenizers``) learned from the training
text; a ``hf`` tokenizer is any fast tokenizer loaded with ``AutoTokenizer``. Both are driven through
their ``tokenizers.Tokenizer`` backend with pre-tokenized input, so each MASSIVE word (a character in
ja/zh) gets one position and predictions map 1:1 onto the official word segmentation (see
``WordTokenizer.alignment`` for how ja/zh characters share pieces).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from kiloglot.nlu.neural.options import ALIGNMENTS

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Characters that ja/zh word segmentation makes one word each: CJK punctuation, kana, ideographs,
# compatibility ideographs, full-width forms.
_JOINABLE = re.compile("[\u3000-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def character_runs(words: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Group consecutive one-character CJK/kana words into one run: ``(text, word indices)`` per run.

    MASSIVE counts ja/zh words as characters, but a pretrained tokenizer has only seen those
    characters inside running text ("音量" as one piece, not "▁音 ▁量"), so one character per
    pre-token both misreads the text and fills the sequence with word-boundary markers.
    """
    runs: list[tuple[str, list[int]]] = []
    joining = False
    for i, w in enumerate(words):
        joinable = len(w) == 1 and _JOINABLE.match(w) is not None
        if joinable and joining:
            text, members = runs[-1]
            runs[-1] = (text + w, [*members, i])
        else:
            runs.append((w, [i]))
        joining = joinable
    return runs


def train_unigram(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """Learn a multilingual Unigram tokenizer (NFKC, lower-cased, Metaspace) from raw utterances."""
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        unk_token="[UNK]",
        shrinking_factor=0.75,
        max_piece_length=12,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok = _canonical_order(tok)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
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

    def __init__(
        self, backend: Tokenizer, pad_id: int, mask_id: int | None, max_len: int, alignment: str = "content"
    ) -> None:
        self.backend = backend
        self.alignment = alignment
        self.backend.no_truncation()
        self.backend.no_padding()
        self.pad_id = pad_id
        self.mask_id = mask_id
        self.max_len = max_len

    @property
    def alignment(self) -> str:
        """How words meet sub-words. ``content``: consecutive ja/zh characters are tokenized as the running
        text they are and share the pieces that hold them, and a word is represented by its first piece
        with content (not a bare "▁"). ``first``: each word tokenized alone, represented by its first
        piece, whatever it is: how models saved before this option were trained (with it, a manual count
        found 89-96 % of ja/zh words, 47 % of Thai words, represented by a bare "▁")."""
        return self._alignment

    @alignment.setter
    def alignment(self, value: str) -> None:
        if value not in ALIGNMENTS:
            raise ValueError(f"word alignment {value!r}: expected one of {', '.join(ALIGNMENTS)}")
        self._alignment = value
        self.join_characters = self.skip_markers = value == "content"

    @cached_property
    def _markers(self) -> set[int]:
        """Pieces that are only a word-start marker (SentencePiece's "▁" before a character it could not
        attach it to): they carry no content. Built on first use, not at load (a 250k vocabulary)."""
        return {i for piece, i in self.backend.get_vocab(with_added_tokens=False).items() if piece.strip("▁") == ""}

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, words: Sequence[str]) -> Encoded:
        return self.encode_batch([words])[0]

    def encode_batch(self, batch: Sequence[Sequence[str]]) -> list[Encoded]:
        runs = [character_runs(w) if self.join_characters else [(x, [i]) for i, x in enumerate(w)] for w in batch]
        encs = self.backend.encode_batch([[text for text, _ in r] for r in runs], is_pretokenized=True)
        return [self._align(len(words), r, enc) for words, r, enc in zip(batch, runs, encs)]

    def _align(self, n_words: int, runs: list[tuple[str, list[int]]], enc: Any) -> Encoded:
        """Each word's position: the first piece holding one of its characters, pieces with content
        first (several ja/zh characters may share one piece); -1 if truncation removed it."""
        ids, word_ids = enc.ids, enc.word_ids
        kept = len(runs)
        if len(ids) > self.max_len:  # keep the final special token
            ids, word_ids = ids[: self.max_len - 1] + ids[-1:], [*word_ids[: self.max_len - 1], None]
            kept = max((r for r in word_ids[:-1] if r is not None), default=-1)  # this run may be cut short
        first, fallback = [-1] * n_words, [-1] * n_words
        for pos, (r, (start, end)) in enumerate(zip(word_ids, enc.offsets)):
            if r is None:
                continue
            members = runs[r][1]
            # offsets count characters inside the run; a run of one word owns every piece
            chosen = members if len(members) == 1 else members[max(start, 0) : max(end, start + 1)]
            slot = fallback if (self.skip_markers and ids[pos] in self._markers) else first
            for m in chosen:
                if slot[m] < 0:
                    slot[m] = pos
        first = [f if f >= 0 else b for f, b in zip(first, fallback)]
        for _, members in runs[:kept]:  # a character no piece covers (not cut off) takes its left neighbour's
            for a, b in itertools.pairwise(members):
                if first[b] < 0 and first[a] >= 0:
                    first[b] = first[a]
        return Encoded(list(ids), first)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, directory: Path, hf_tokenizer: object | None = None) -> None:
        if hf_tokenizer is not None:
            hf_tokenizer.save_pretrained(directory / "tokenizer")  # type: ignore[attr-defined]
        else:
            self.backend.save(str(directory / "tokenizer.json"))


def scratch_tokenizer(texts: Iterable[str], vocab_size: int, max_len: int, alignment: str = "content") -> WordTokenizer:
    return _scratch(train_unigram(texts, vocab_size), max_len, alignment)


def load_scratch_tokenizer(path: Path, max_len: int, alignment: str = "content") -> WordTokenizer:
    return _scratch(Tokenizer.from_file(str(path)), max_len, alignment)


def _scratch(tok: Tokenizer, max_len: int, alignment: str) -> WordTokenizer:
    pad = tok.token_to_id("[PAD]")
    if pad is None:
        raise ValueError("the tokenizer has no [PAD] token: not a kiloglot scratch tokenizer")
    return WordTokenizer(tok, pad, tok.token_to_id("[MASK]"), max_len, alignment)
