"""What every language identifier answers: the locale of a text among candidate locales, with a confidence."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageGuess:
    locale: str
    confidence: float  # in [0, 1], over the candidate locales
    alternatives: tuple[tuple[str, float], ...] = ()  # the next best (locale, confidence), best first

    def to_json(self) -> dict[str, object]:
        return {
            "locale": self.locale,
            "confidence": round(self.confidence, 4),
            "alternatives": [{"locale": loc, "confidence": round(p, 4)} for loc, p in self.alternatives],
        }


class LanguageIdentifier(ABC):
    name: str = ""

    @property
    @abstractmethod
    def locales(self) -> list[str]:
        """The locales it can name."""

    @abstractmethod
    def identify_batch(self, texts: Sequence[str], locales: Sequence[str] | None = None) -> list[LanguageGuess]:
        """One guess per text, over ``locales`` (all of its own when None)."""

    def identify(self, text: str, locales: Sequence[str] | None = None) -> LanguageGuess:
        return self.identify_batch([text], locales)[0]


def ranked(locales: Sequence[str], probabilities: Sequence[float], top: int = 3) -> LanguageGuess:
    order = sorted(range(len(locales)), key=lambda i: -probabilities[i])
    best = order[0]
    rest = tuple((locales[i], float(probabilities[i])) for i in order[1 : top + 1])
    return LanguageGuess(locales[best], float(probabilities[best]), rest)
