"""Simulated recognition errors: training copies of labelled utterances that look like what a recogniser
hears, so that a parser learns to read transcripts (ASR-robust training).

A recogniser's errors in a written-style transcript are mostly words heard as another word that sounds
alike (and is spelled alike, in alphabetic scripts), short words dropped, and now and then a word
inserted. ``noisy_copy`` applies those to one example, keeping each surviving word's slot label: a
substituted word takes the label of the word it replaced; a dropped word takes its label with it. The
look-alike is the closest word of the locale's training vocabulary by edit similarity (rapidfuzz),
excluding the word itself. Locales written without spaces between words (ja, zh, th, km, my) are left
as they are: their "words" are characters or segmenter output, not what a recogniser confuses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from kiloglot.data.codec import SlotCodec
from kiloglot.data.example import OUTSIDE, Example
from kiloglot.data.segmentation import splits_characters
from kiloglot.errors import InputError

UNSPACED = frozenset({"th", "km", "my", "lo"})


@dataclass(frozen=True)
class NoiseSettings:
    substitute: float = 0.08  # chance a word is heard as a look-alike word
    drop: float = 0.04  # chance a word of at most 3 characters is not heard
    insert: float = 0.02  # chance a short vocabulary word is heard after a word
    copies: int = 1  # noisy copies per example
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("substitute", "drop", "insert"):
            if not 0.0 <= getattr(self, name) <= 0.5:
                raise InputError(f"ASR noise {name} {getattr(self, name)}: expected a probability up to 0.5")
        if self.copies < 1:
            raise InputError(f"ASR noise copies {self.copies}: expected 1 or more")


def _applies(locale: str) -> bool:
    return not splits_characters(locale) and locale.split("-")[0] not in UNSPACED


class _Vocabulary:
    def __init__(self, examples: Sequence[Example]) -> None:
        words = sorted({w.lower() for e in examples for w in e.words if w.isalpha()})
        self.words = words
        self.short = [w for w in words if len(w) <= 3] or words
        self._cache: dict[str, str | None] = {}

    def look_alike(self, word: str) -> str | None:
        key = word.lower()
        if key not in self._cache:
            found = process.extract(key, self.words, scorer=fuzz.ratio, limit=2, score_cutoff=60)
            self._cache[key] = next((w for w, _, _ in found if w != key), None)
        return self._cache[key]


def noisy_copies(examples: Sequence[Example], settings: NoiseSettings = NoiseSettings()) -> list[Example]:
    """``settings.copies`` noisy copies of every example of a locale where noise applies (see the module)."""
    by_locale: dict[str, list[Example]] = {}
    for e in examples:
        by_locale.setdefault(e.locale, []).append(e)
    out = []
    for locale, group in by_locale.items():
        if not _applies(locale):
            continue
        vocabulary = _Vocabulary(group)
        rng = random.Random(f"{settings.seed}:{locale}")
        for n in range(settings.copies):
            for e in group:
                copy = noisy_copy(e, vocabulary, rng, settings, f"{e.id}~asr{n}")
                if copy is not None:
                    out.append(copy)
    return out


def noisy_copy(
    example: Example, vocabulary: _Vocabulary, rng: random.Random, settings: NoiseSettings, new_id: str
) -> Example | None:
    """One noisy copy, or None when the noise left the utterance unchanged or empty."""
    words: list[tuple[str, str]] = []
    for word, label in zip(example.words, example.word_labels):
        roll = rng.random()
        if roll < settings.drop and len(word) <= 3 and len(example.words) > 2:
            continue
        if roll < settings.drop + settings.substitute and word.isalpha():
            heard = vocabulary.look_alike(word)
            words.append((heard if heard else word, label))
        else:
            words.append((word, label))
        if rng.random() < settings.insert:
            words.append((rng.choice(vocabulary.short), OUTSIDE))
    if not words or [w for w, _ in words] == list(example.words):
        return None
    # rebuild the text and its [slot : value] markup from the words: one space between words
    pieces: list[str] = []
    i = 0
    while i < len(words):
        label = words[i][1]
        j = i
        while j + 1 < len(words) and words[j + 1][1] == label:
            j += 1
        run = " ".join(w for w, _ in words[i : j + 1])
        pieces.append(run if label == OUTSIDE else f"[{label} : {run}]")
        i = j + 1
    annot = " ".join(pieces)
    return SlotCodec.decode(annot, example.locale, id=new_id, intent=example.intent, scenario=example.scenario,
                            partition=example.partition)  # fmt: skip
