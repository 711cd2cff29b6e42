"""The value type the data layer produces: one labelled utterance."""

from __future__ import annotations

from dataclasses import dataclass, field

OUTSIDE = "Other"  # MASSIVE's label for words outside any slot


@dataclass(frozen=True, slots=True)
class Span:
    """A slot: ``text[start:end]`` has slot type ``name``."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Example:
    """One utterance with its intent and one slot label per word.

    ``words`` follow MASSIVE's official evaluation segmentation (see ``segmentation``);
    ``word_offsets[i]`` is ``(start, end)`` of ``words[i]`` in ``text``. ``spans`` keep the exact
    slot boundaries in ``text`` so that ``annot_utt`` can be rebuilt character for character.
    """

    id: str
    locale: str
    text: str
    words: tuple[str, ...]
    word_labels: tuple[str, ...]
    intent: str = ""
    scenario: str = ""
    partition: str = ""
    spans: tuple[Span, ...] = ()
    word_offsets: tuple[tuple[int, int], ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.words) != len(self.word_labels):
            raise ValueError(f"example {self.id!r}: {len(self.words)} words but {len(self.word_labels)} labels")
