"""The ``[slot : value]`` codec: MASSIVE ``annot_utt`` <-> :class:`Example`, exactly.

``annot_utt`` marks slots inline: ``wake me up at [time : five am] [date : this week]``. Outside
ja-JP/zh-CN/zh-TW, removing the markup gives ``utt`` character for character, so encoding splices
the markup back into the text. In those three locales ``utt`` has no spaces around slots while
``annot_utt`` separates every slot and every stretch of outside text by one space; decoding aligns
the two strings to find the slot offsets in ``utt`` and encoding joins the pieces with one space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiloglot.data.example import OUTSIDE, Example, Span
from kiloglot.data.segmentation import splits_characters, word_offsets

_OPEN = re.compile(r"\[([^\s\[\]:]+) : ")


class AnnotationError(ValueError):
    """``annot_utt`` is not well-formed or does not match ``utt``."""


@dataclass(frozen=True, slots=True)
class _Markup:
    plain: str
    spans: tuple[Span, ...]


def _strip_markup(annot_utt: str) -> _Markup:
    """Remove ``[name : value]`` markup, keeping each slot's offsets in the plain string."""
    plain: list[str] = []
    spans: list[Span] = []
    length = 0
    pos = 0
    while True:
        open_at = annot_utt.find("[", pos)
        close_stray = annot_utt.find("]", pos)
        if open_at < 0:
            if close_stray >= 0:
                raise AnnotationError(f"unmatched ']' at character {close_stray}")
            tail = annot_utt[pos:]
            plain.append(tail)
            break
        if 0 <= close_stray < open_at:
            raise AnnotationError(f"unmatched ']' at character {close_stray}")
        head = annot_utt[pos:open_at]
        plain.append(head)
        length += len(head)
        m = _OPEN.match(annot_utt, open_at)
        if not m:
            raise AnnotationError(f"expected '[slot_name : ' at character {open_at}")
        close_at = annot_utt.find("]", m.end())
        if close_at < 0:
            raise AnnotationError(f"slot opened at character {open_at} is never closed")
        value = annot_utt[m.end() : close_at]
        if "[" in value:
            raise AnnotationError(f"nested '[' inside the slot opened at character {open_at}")
        if not value.strip():
            raise AnnotationError(f"empty value in the slot opened at character {open_at}")
        spans.append(Span(m.group(1), length, length + len(value)))
        plain.append(value)
        length += len(value)
        pos = close_at + 1
    return _Markup("".join(plain), tuple(spans))


def _align_offsets(source: str, target: str) -> list[int] | None:
    """Map each offset of ``source`` to ``target``, the strings differing only in whitespace."""
    mapping = [0] * (len(source) + 1)
    i = j = 0
    while i < len(source) or j < len(target):
        if i < len(source) and j < len(target) and source[i] == target[j]:
            mapping[i] = j
            i += 1
            j += 1
        elif i < len(source) and source[i].isspace():
            mapping[i] = j
            i += 1
        elif j < len(target) and target[j].isspace():
            j += 1
        else:
            return None
    mapping[len(source)] = len(target)
    return mapping


def labels_for_words(offsets: list[tuple[int, int]], spans: tuple[Span, ...]) -> list[str]:
    """One label per word: the slot whose span holds the word's first character, else Other."""
    labels = [OUTSIDE] * len(offsets)
    k = 0
    for i, (start, _end) in enumerate(offsets):
        while k < len(spans) and spans[k].end <= start:
            k += 1
        if k < len(spans) and spans[k].start <= start < spans[k].end:
            labels[i] = spans[k].name
    return labels


class SlotCodec:
    """Decode ``annot_utt`` into an :class:`Example` and encode it back, losslessly."""

    @staticmethod
    def spans(annot_utt: str) -> tuple[Span, ...]:
        """The slots of ``annot_utt`` with offsets into its plain text; the markup is checked as in
        ``decode``, the text is not segmented."""
        return _strip_markup(annot_utt).spans

    @staticmethod
    def decode(
        annot_utt: str,
        locale: str,
        utt: str | None = None,
        *,
        id: str = "",
        intent: str = "",
        scenario: str = "",
        partition: str = "",
    ) -> Example:
        markup = _strip_markup(annot_utt)
        text = markup.plain if utt is None else utt
        spans = markup.spans
        if text != markup.plain:
            mapping = _align_offsets(markup.plain, text)
            if mapping is None:
                raise AnnotationError("annot_utt without its [slot : value] markup does not match utt")
            spans = tuple(Span(s.name, mapping[s.start], _end_offset(mapping, s, text)) for s in spans)
        offsets = word_offsets(text, locale)
        words = tuple(text[s:e] for s, e in offsets)
        labels = tuple(labels_for_words(offsets, spans))
        return Example(
            id=id,
            locale=locale,
            text=text,
            words=words,
            word_labels=labels,
            intent=intent,
            scenario=scenario,
            partition=partition,
            spans=spans,
            word_offsets=tuple(offsets),
        )

    @staticmethod
    def encode(example: Example) -> str:
        text = example.text
        pieces: list[tuple[bool, str]] = []  # (is_slot, rendered)
        pos = 0
        for span in example.spans:
            pieces.append((False, text[pos : span.start]))
            pieces.append((True, f"[{span.name} : {text[span.start : span.end]}]"))
            pos = span.end
        pieces.append((False, text[pos:]))
        if not splits_characters(example.locale):
            return "".join(p for _, p in pieces)
        return " ".join(p if is_slot else p.strip() for is_slot, p in pieces if is_slot or p.strip())


def _end_offset(mapping: list[int], span: Span, text: str) -> int:
    # The last character of the value maps exactly; the end is one past it.
    return mapping[span.end - 1] + 1 if span.end > span.start else mapping[span.start]


def massive_word_labels(
    text: str, locale: str, offsets: list[tuple[int, int]], labels: list[str] | tuple[str, ...]
) -> tuple[str, ...]:
    """Labels given to the words at ``offsets`` (a parser's own segmentation of ``text``), as labels of
    MASSIVE's words, which evaluation compares: the same when the two segmentations agree."""
    official = word_offsets(text, locale)
    if list(offsets) == official:
        return tuple(labels)
    return tuple(labels_for_words(official, tuple(spans_from_word_labels(offsets, labels))))


def spans_from_word_labels(
    offsets: list[tuple[int, int]] | tuple[tuple[int, int], ...], labels: list[str] | tuple[str, ...]
) -> list[Span]:
    """Slots from word labels: a run of equal non-Other labels is one slot (MASSIVE's rule)."""
    spans: list[Span] = []
    current: str | None = None
    start = end = 0
    for (ws, we), label in zip(offsets, labels):
        if label == current and current is not None:
            end = we
            continue
        if current is not None:
            spans.append(Span(current, start, end))
        current = None if label == OUTSIDE else label
        start, end = ws, we
    if current is not None:
        spans.append(Span(current, start, end))
    return spans
