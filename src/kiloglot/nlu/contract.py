"""The parser contract every kind follows (after scikit-learn's estimator API)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from kiloglot.data.example import Example
from kiloglot.data.locales import LOCALES
from kiloglot.errors import InputError
from kiloglot.nlu.parse import Parse


class Parser(ABC):
    kind: ClassVar[str] = ""

    @property
    @abstractmethod
    def locales(self) -> list[str]:
        """Locales this parser was trained on."""

    @abstractmethod
    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None = None,
        progress: Callable[[str, float], None] | None = None,
    ) -> Parser:
        """Learn from labelled examples; return self. ``progress(locale, seconds)`` is called as locales finish."""

    @abstractmethod
    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        """Parse a batch of texts of one locale."""

    @abstractmethod
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Write the model as an artifact directory, atomically."""

    @classmethod
    @abstractmethod
    def from_artifact(cls, path: Path, manifest: dict[str, Any]) -> Parser:
        """Rebuild a saved parser (``kiloglot.nlu.load`` calls this)."""

    def supports(self, locale: str) -> bool:
        """Whether ``parse`` accepts this locale (per-locale models: only those trained)."""
        return locale in self.locales

    def progress_total(self, n_locales: int) -> int:
        """How many progress callbacks ``fit`` makes (for a progress bar)."""
        return n_locales

    def parse_examples(self, examples: Sequence[Example]) -> list[Parse]:
        """Parse examples of any mix of locales, keeping their order."""
        by_locale: dict[str, list[int]] = {}
        for i, ex in enumerate(examples):
            by_locale.setdefault(ex.locale, []).append(i)
        out: list[Parse | None] = [None] * len(examples)
        for locale, idx in by_locale.items():
            for i, p in zip(idx, self.parse([examples[i].text for i in idx], locale)):
                out[i] = p
        return out  # type: ignore[return-value]

    def check_request(self, texts: Sequence[str], locale: str) -> None:
        """Reject what ``parse`` cannot take, with a message naming the input and what was expected."""
        if isinstance(texts, str):
            raise InputError("parse() takes a list of texts, not one string: wrap it as [text]")
        if locale not in LOCALES:
            raise InputError(f"unknown locale {locale!r}: expected one of the 52 MASSIVE locales such as en-US")
        if not self.supports(locale):
            raise InputError(f"this model was not trained on locale {locale!r}: it knows {', '.join(self.locales)}")
        for i, t in enumerate(texts):
            if not isinstance(t, str) or not t.strip():
                raise InputError(f"text #{i + 1} is empty: expected a non-empty utterance")
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8 on the way in
                raise InputError(f"text #{i + 1} is not valid UTF-8 text") from None
