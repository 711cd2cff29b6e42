"""The parser contract: what every parser has, what a trainable one adds, and small capabilities.

After Rasa's components and scikit-learn's estimators: the base contract (``Parser``) holds only
what every kind and runtime has, so a serving runtime (ONNX), a wrapper (the server's lock) or a
test double implements nothing it cannot do. Training is declared by deriving from
``TrainableParser``. Optional roles are small protocols that callers check with ``isinstance``
instead of probing with ``hasattr``: ``ParsesGivenIntents``, ``GivesSoftTargets``,
``LearnsFromSoftTargets``, ``Saveable``. One conformance suite (``tests/test_conformance.py``) runs
over every registered kind and runtime.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

from kiloglot.data.example import Example
from kiloglot.data.locales import known_locale
from kiloglot.data.segmentation import official_segmentation
from kiloglot.errors import InputError
from kiloglot.nlu.parse import Parse

if TYPE_CHECKING:
    from kiloglot.nlu.soft_targets import SoftTargets

Progress = Callable[[str, float], None]
"""``progress(note, seconds)``: called as training advances (a locale done, a twentieth of an epoch)."""


class Parser(ABC):
    """Inference: parse batches of texts of one locale. Every kind and runtime has this."""

    kind: ClassVar[str] = ""
    runtime: ClassVar[str] = "python"
    data_fingerprint: str = ""  # hash of the training data (manifest "training_data"), "" when unknown

    @property
    @abstractmethod
    def locales(self) -> list[str]:
        """Locales the parser was trained on."""

    @property
    @abstractmethod
    def intents(self) -> list[str]:
        """Every intent it can predict."""

    @property
    @abstractmethod
    def slot_labels(self) -> list[str]:
        """Every word label it can predict (slot names and ``Other``)."""

    @abstractmethod
    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        """Parse a batch of texts of one locale: one ``Parse`` per text, in order."""

    def supports(self, locale: str) -> bool:
        """Whether ``parse`` accepts this locale (per-locale models: only those trained)."""
        return locale in self.locales

    def parse_examples(self, examples: Sequence[Example]) -> list[Parse]:
        """Parse examples of any mix of locales, keeping their order."""
        by_locale: dict[str, list[int]] = {}
        for i, ex in enumerate(examples):
            by_locale.setdefault(ex.locale, []).append(i)
        out: list[Parse | None] = [None] * len(examples)
        with official_segmentation():  # labelled examples are read with MASSIVE's words
            for locale, idx in by_locale.items():
                for i, p in zip(idx, self.parse([examples[i].text for i in idx], locale)):
                    out[i] = p
        return [p for p in out if p is not None]

    def check_request(self, texts: Sequence[str], locale: str) -> None:
        """Reject what ``parse`` cannot take, with a message naming the input and what was expected."""
        if isinstance(texts, str):
            raise InputError("parse() takes a list of texts, not one string: wrap it as [text]")
        if not known_locale(locale):
            raise InputError(
                f"unknown locale {locale!r}: expected a MASSIVE locale such as en-US, or an ISO 639 code such as yo"
            )
        if not self.supports(locale):
            raise InputError(f"this model was not trained on locale {locale!r}: it knows {', '.join(self.locales)}")
        for i, t in enumerate(texts):
            if not isinstance(t, str) or not t.strip():
                raise InputError(f"text #{i + 1} is empty: expected a non-empty utterance")
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8 on the way in
                raise InputError(f"text #{i + 1} is not valid UTF-8 text") from None


class StoredLabels:
    """The label properties of a parser that keeps its locales, intents and slot labels as lists (mixed in
    before ``Parser``: linear, neural, ONNX)."""

    _locales: list[str]
    _intents: list[str]
    _slot_labels: list[str]

    @property
    def locales(self) -> list[str]:
        return list(self._locales)

    @property
    def intents(self) -> list[str]:
        return list(self._intents)

    @property
    def slot_labels(self) -> list[str]:
        return list(self._slot_labels)


class TrainableParser(Parser):
    """A parser that learns from labelled examples and saves itself as an artifact."""

    @abstractmethod
    def fit(
        self, train: Sequence[Example], dev: Sequence[Example] | None = None, progress: Progress | None = None
    ) -> Self:
        """Learn from labelled examples; return self. ``dev`` may steer early stopping or calibration."""

    @abstractmethod
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        """Write the model as an artifact directory, atomically."""

    @classmethod
    @abstractmethod
    def option_groups(cls) -> dict[str, type]:
        """The options dataclasses the constructor's keyword options are routed to, by group name
        (``model``, ``training``, ``runtime``)."""

    @abstractmethod
    def get_params(self) -> dict[str, Any]:
        """The options this parser was made with: ``registry.create(kind, **get_params())`` makes an
        untrained copy (scikit-learn's ``clone``)."""

    def progress_total(self, n_locales: int) -> int:
        """How many ``progress`` calls ``fit`` makes (for a progress bar)."""
        return n_locales


@runtime_checkable
class Saveable(Protocol):
    """Writes itself as an artifact directory (trainable kinds, and exported runtimes by copying)."""

    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path: ...


@runtime_checkable
class ParsesGivenIntents(Protocol):
    """Labels the words given each text's intent (a slot tagger conditioned on the intent)."""

    def parse_given_intents(self, texts: Sequence[str], locale: str, intents: Sequence[str]) -> list[Parse]: ...


@runtime_checkable
class GivesSoftTargets(Protocol):
    """A distillation teacher that gives distributions, not only its best labels."""

    def soft_targets(self, words: Sequence[Sequence[str]], temperature: float = 1.0) -> SoftTargets: ...


@runtime_checkable
class LearnsFromSoftTargets(Protocol):
    """A distillation student that learns from a teacher's distributions."""

    def fit_distilled(
        self,
        train: Sequence[Example],
        soft: SoftTargets,
        dev: Sequence[Example] | None = None,
        progress: Progress | None = None,
        *,
        temperature: float = 2.0,
        hard_weight: float = 0.5,
    ) -> Any: ...
