"""From words to model inputs and from model outputs to ``Parse`` values, without PyTorch.

Shared by the PyTorch runtime and the ONNX runtime so that both parse exactly alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kiloglot.data.codec import massive_word_labels, spans_from_word_labels
from kiloglot.data.example import OUTSIDE
from kiloglot.data.segmentation import input_word_offsets
from kiloglot.nlu.parse import Parse, SlotValue


def prepare(tokenizer: Any, texts: Sequence[str], locale: str) -> tuple[list, list, list]:
    """(word offsets, words, encodings) for a batch of texts."""
    offsets = [input_word_offsets(t, locale) for t in texts]
    words = [[t[s:e] for s, e in off] for t, off in zip(texts, offsets)]
    encs = tokenizer.encode_batch(words)
    return offsets, words, encs


def length_batches(encs: Sequence[Any], max_size: int, slack: float = 1.25) -> list[list[int]]:
    """Indices of ``encs`` (anything with ``ids``) in batches of at most ``max_size``, shortest first, each
    batch's longest member at most ``slack`` times (+2 tokens) its shortest: every batch is padded to its
    longest member and attention grows with the square of the length, so a request mixing short and long
    utterances must not pad them all to the longest (measured: 64 mixed utterances as one batch parsed 2.5x
    slower than batched by length; ``benchmarks/batching_speed.py``)."""
    if max_size < 1:
        raise ValueError(f"batch size {max_size}: expected at least 1")
    lengths = [len(e.ids) for e in encs]
    batches: list[list[int]] = []
    for i in sorted(range(len(encs)), key=lengths.__getitem__):
        current = batches[-1] if batches else None
        if current is None or len(current) >= max_size or lengths[i] > slack * lengths[current[0]] + 2:
            batches.append([i])
        else:
            current.append(i)
    return batches


def pad_batch(encs: Sequence[Any], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """input_ids, attention_mask, word_index (first sub-word of each word, -1 for none) as int64."""
    t = max(len(e.ids) for e in encs)
    w = max(max(len(e.first), 1) for e in encs)
    ids = np.full((len(encs), t), pad_id, dtype=np.int64)
    mask = np.zeros((len(encs), t), dtype=np.int64)
    widx = np.full((len(encs), w), -1, dtype=np.int64)
    for r, e in enumerate(encs):
        ids[r, : len(e.ids)] = e.ids
        mask[r, : len(e.ids)] = 1
        widx[r, : len(e.first)] = e.first
    return ids, mask, widx


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def viterbi(
    emissions: np.ndarray, word_index: np.ndarray, start: np.ndarray, end: np.ndarray, transitions: np.ndarray
) -> list[list[int]]:
    """Best label path per row of a linear-chain CRF (torchcrf's parametrisation), over the words
    that have a sub-word (a prefix of each row)."""
    out = []
    for em, wi in zip(emissions.astype(np.float64), word_index):
        n = max(1, int((wi >= 0).sum()))
        score = start + em[0]
        back = []
        for k in range(1, n):
            total = score[:, None] + transitions + em[k][None, :]
            back.append(total.argmax(0))
            score = total.max(0)
        best = [int((score + end).argmax())]
        for ptr in reversed(back):
            best.append(int(ptr[best[-1]]))
        out.append(best[::-1])
    return out


def to_parse(
    text: str,
    locale: str,
    offsets: list[tuple[int, int]],
    first: list[int],
    probs: np.ndarray,
    slot_ids: Sequence[int],
    intents: Sequence[str],
    slot_labels: Sequence[str],
    k: int,
) -> Parse:
    top = np.argsort(-probs)[:k]
    labels = [slot_labels[int(slot_ids[w])] if p >= 0 else OUTSIDE for w, p in enumerate(first)]
    labels += [OUTSIDE] * (len(offsets) - len(labels))
    slots = tuple(
        SlotValue(s.name, text[s.start : s.end], s.start, s.end) for s in spans_from_word_labels(offsets, labels)
    )
    return Parse(
        text,
        locale,
        intents[int(top[0])],
        float(probs[top[0]]),
        slots,
        tuple((intents[int(j)], float(probs[j])) for j in top),
        massive_word_labels(text, locale, offsets, labels),
    )


BatchRunner = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, Sequence[Sequence[int]]]]
"""``run(input_ids, attention_mask, word_index) -> (intent probabilities, slot label ids per word)`` for one
padded batch: what a runtime (PyTorch, onnxruntime) contributes to parsing."""


def parse_batches(
    tokenizer: Any,
    texts: Sequence[str],
    locale: str,
    run: BatchRunner,
    *,
    batch_size: int,
    intents: Sequence[str],
    slot_labels: Sequence[str],
    top_k: int,
) -> list[Parse]:
    """Parse ``texts`` in batches of similar length through ``run``, in input order: the one parsing loop
    every neural runtime shares, so that they parse alike."""
    offsets, _, encs = prepare(tokenizer, texts, locale)
    out: list[Parse | None] = [None] * len(texts)
    k = min(top_k, len(intents))
    for idx in length_batches(encs, batch_size):
        probs, slot_ids = run(*pad_batch([encs[i] for i in idx], tokenizer.pad_id))
        for r, i in enumerate(idx):
            out[i] = to_parse(
                texts[i], locale, offsets[i], encs[i].first, probs[r], slot_ids[r], intents, slot_labels, k
            )
    return [p for p in out if p is not None]
