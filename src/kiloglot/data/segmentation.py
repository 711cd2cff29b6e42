"""Word segmentation exactly as MASSIVE's official evaluation counts words.

ja-JP, zh-CN and zh-TW are split into characters, keeping runs of Latin letters and digits whole
(so ``iPhone13`` stays one word); every other locale, Thai, Khmer and Burmese included, is split on
whitespace. Slot F1 and exact match are computed over these words, so this must not change.

What a user types is read with ``input_word_offsets``: the same, except that Thai, Khmer, Lao and Burmese
written without spaces are cut into words first (see below).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CHARACTER_LOCALES = frozenset({"ja-JP", "zh-CN", "zh-TW"})

# Latin letters (ASCII and Latin-1 / Extended-A / Extended-B, without × and ÷) and ASCII digits.
_LATIN_RUN = "[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+"
_CHARACTER_WORD = re.compile(rf"{_LATIN_RUN}|\S")
_WHITESPACE_WORD = re.compile(r"\S+")


def splits_characters(locale: str) -> bool:
    """True where the official evaluation counts characters, not whitespace-separated words."""
    return locale in CHARACTER_LOCALES


def word_offsets(text: str, locale: str) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of each word of ``text`` in ``locale``."""
    pattern = _CHARACTER_WORD if locale in CHARACTER_LOCALES else _WHITESPACE_WORD
    return [m.span() for m in pattern.finditer(text)]


def segment(text: str, locale: str) -> list[str]:
    """The words of ``text`` as MASSIVE's evaluation sees them."""
    return [text[s:e] for s, e in word_offsets(text, locale)]


# -- input typed without spaces -----------------------------------------------------------------------
# MASSIVE's Thai, Khmer and Burmese text is spaced between phrases ("ปลุกฉัน ตอน เก้าโมงเช้า"), and the
# parsers learn from those pieces; people often type these scripts with no space at all, and one long
# piece gets no slots. Such input is cut into words by a segmenter for the language (a dictionary or a
# CRF: PyThaiNLP, khmer-nltk, LaoNLP), before parsing, with offsets into the text.
# Burmese is cut only for a model that learned from syllable-cut copies (``-o unspaced_copies=true``):
# for a model that saw MASSIVE's pieces alone, syllables (the unit a rule can find without a dictionary)
# lost exact match on unspaced MASSIVE dev (25.0 -> 22.4, benchmarks/results/unspaced_input.md).
UNSPACED_LANGUAGES = frozenset({"th", "km", "lo"})
SYLLABLE_LANGUAGES = frozenset({"my"})  # cut by rule, into syllables: only for models trained on such copies
LONG_PIECE = 10  # characters: MASSIVE's pieces are mostly shorter; longer ones in one- or two-piece input are cut

# A Burmese syllable starts at a consonant, an independent vowel, a digit or a sign, unless the consonant
# is stacked under the previous one (U+1039 before it) or closes the syllable (asat U+103A or U+1039 after)
_MY_BREAK = re.compile(r"(?<!\u1039)(?=[\u1000-\u102a\u103f-\u104f])(?![\u1000-\u1021][\u103a\u1039])")


def _burmese_syllables(text: str) -> list[str]:
    return [piece for piece in _MY_BREAK.split(text) if piece]


def _segmenter(language: str) -> Callable[[str], list[str]]:
    if language == "th":
        from pythainlp.tokenize import word_tokenize as thai

        return lambda text: thai(text, engine="newmm", keep_whitespace=False)
    if language == "km":
        from khmernltk import word_tokenize as khmer

        return lambda text: khmer(text)
    if language == "lo":
        from laonlp.tokenize import word_tokenize as lao

        return lambda text: lao(text)
    return _burmese_syllables


_SEGMENTERS: dict[str, Callable[[str], list[str]]] = {}


def split_words(piece: str, language: str) -> list[tuple[int, int]]:
    """Offsets (within ``piece``) of the words a segmenter finds in text written without spaces."""
    if language not in _SEGMENTERS:
        _SEGMENTERS[language] = _segmenter(language)
    offsets, at = [], 0
    for word in _SEGMENTERS[language](piece):
        start = piece.find(word, at) if word.strip() else -1
        if start < 0:  # a segmenter that normalised a character: keep the rest as one word
            break
        offsets.append((start, start + len(word)))
        at = start + len(word)
    if at < len(piece):
        offsets.append((at, len(piece)))
    return [(s, e) for s, e in offsets if piece[s:e].strip()]


_OFFICIAL: ContextVar[bool] = ContextVar("kiloglot_official_segmentation", default=False)


@contextmanager
def official_segmentation() -> Iterator[None]:
    """Within: parsers read text exactly as MASSIVE's evaluation segments it (``evaluate`` uses this, so
    that scores stay comparable with the paper's); outside, ``input_word_offsets`` may cut unspaced text."""
    token = _OFFICIAL.set(True)
    try:
        yield
    finally:
        _OFFICIAL.reset(token)


def warm_up(locales: list[str]) -> None:
    """Load the segmenters these locales use now (a dictionary or a CRF model: about a second each), so
    that the first unspaced request does not pay for it while others wait."""
    for language in sorted({loc.split("-")[0] for loc in locales} & UNSPACED_LANGUAGES):
        split_words("ทดสอบ" if language == "th" else "test", language)


def input_word_offsets(text: str, locale: str, languages: frozenset[str] = UNSPACED_LANGUAGES) -> list[tuple[int, int]]:
    """The words of text a user typed: ``word_offsets``, except that in Thai, Khmer and Lao (and the
    ``languages`` given: Burmese for a model trained on its syllable-cut copies) an input of one or two
    pieces has its long pieces cut into words (offsets stay those of ``text``)."""
    offsets = word_offsets(text, locale)
    language = locale.split("-")[0]
    if language not in languages or len(offsets) > 2 or _OFFICIAL.get():
        return offsets
    out: list[tuple[int, int]] = []
    for s, e in offsets:
        if e - s >= LONG_PIECE and not text[s:e].isascii():
            out.extend((s + a, s + b) for a, b in split_words(text[s:e], language))
        else:
            out.append((s, e))
    return out
