"""Copies of labelled examples as people type Thai, Khmer, Lao or Burmese: without spaces, cut into words
by the language's segmenter (syllables for Burmese). A parser trained on MASSIVE's phrase-spaced pieces
alone tags the words of unspaced input poorly (the pieces it learned are not the words it is given);
trained on these copies as well, it has seen both."""

from __future__ import annotations

import re

from kiloglot.data.example import Example
from kiloglot.data.segmentation import SYLLABLE_LANGUAGES, UNSPACED_LANGUAGES, split_words

_JOINED = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")  # a space between two non-Latin characters


def unspaced_copy(example: Example) -> Example | None:
    """``example`` written without the spaces between its non-Latin words, each word cut by the segmenter
    and keeping its label; None for a language typed with spaces or text with nothing to join."""
    language = example.locale.split("-")[0]
    if language not in UNSPACED_LANGUAGES | SYLLABLE_LANGUAGES or not _JOINED.search(example.text):
        return None
    offsets = example.word_offsets or ()
    if len(offsets) != len(example.words):
        return None
    # the words again, without the spaces between two non-Latin characters (as _JOINED finds them)
    text, words, labels, new_offsets = "", [], [], []
    for i, ((s, e), label) in enumerate(zip(offsets, example.word_labels)):
        if i and (example.text[offsets[i - 1][1] - 1].isascii() or example.text[s].isascii()):
            text += " "
        base = len(text)
        word = example.text[s:e]
        text += word
        pieces = split_words(word, language) if not word.isascii() else [(0, len(word))]
        for a, b in pieces:
            words.append(word[a:b])
            labels.append(label)
            new_offsets.append((base + a, base + b))
    return Example(
        f"{example.id}~unspaced", example.locale, text, tuple(words), tuple(labels), example.intent,
        example.scenario, example.partition, (), tuple(new_offsets),
    )  # fmt: skip
