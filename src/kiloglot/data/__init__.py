"""Corpora, the ``[slot : value]`` codec, the locale catalogue and word segmentation."""

from kiloglot.data.codec import AnnotationError, SlotCodec, spans_from_word_labels
from kiloglot.data.example import OUTSIDE, Example, Span
from kiloglot.data.locales import (
    ALL_LOCALES,
    DEFAULT_LOCALES,
    LOCALES,
    LocaleInfo,
    locale_info,
    normalize_locale,
    parse_locales,
)
from kiloglot.data.massive import MassiveReader, read_massive, resolve_massive_source, use_massive_source
from kiloglot.data.segmentation import segment, splits_characters, word_offsets
from kiloglot.data.summary import CorpusSummary, summarize

__all__ = [
    "ALL_LOCALES",
    "DEFAULT_LOCALES",
    "LOCALES",
    "OUTSIDE",
    "AnnotationError",
    "CorpusSummary",
    "Example",
    "LocaleInfo",
    "MassiveReader",
    "SlotCodec",
    "Span",
    "locale_info",
    "normalize_locale",
    "parse_locales",
    "read_massive",
    "resolve_massive_source",
    "segment",
    "spans_from_word_labels",
    "splits_characters",
    "summarize",
    "use_massive_source",
    "word_offsets",
]
