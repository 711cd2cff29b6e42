"""The two speech contracts: a ``Recognizer`` turns audio into a ``Transcript``; a ``Synthesizer`` turns
text into ``Audio``. Back-ends implement one of them and register by name (``kiloglot.speech.registry``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from kiloglot.speech.audio import Audio


@dataclass(frozen=True)
class Segment:
    start: float  # seconds into the audio
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    """What was heard. ``locale`` is the one asked for, or the language the recogniser detected
    (with ``language_confidence``); ``confidence`` is the recogniser's own, in [0, 1]."""

    text: str
    locale: str | None
    confidence: float
    segments: tuple[Segment, ...] = ()
    language_confidence: float | None = None
    raw_text: str = ""  # before normalisation to the parser's written style

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "raw_text": self.raw_text or self.text,
            "locale": self.locale,
            "confidence": round(self.confidence, 4),
            "language_confidence": None if self.language_confidence is None else round(self.language_confidence, 4),
            "segments": [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in self.segments],
        }


@dataclass(frozen=True)
class Voice:
    name: str  # the back-end's voice id
    locale: str  # the MASSIVE-style locale it speaks
    backend: str


@dataclass
class Recognizer(ABC):
    """Speech to text. ``locales`` are those it can transcribe (None: any it detects)."""

    name: str = field(default="", init=False)

    @abstractmethod
    def transcribe(self, audio: Audio, locale: str | None = None) -> Transcript:
        """Transcribe 16 kHz mono audio; ``locale=None`` lets the recogniser detect the language."""

    @abstractmethod
    def supports(self, locale: str) -> bool: ...

    def detect(self, audio: Audio, locales: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """The spoken language as (locale, probability) over ``locales``, best first; [] when it cannot tell."""
        return []

    def describe(self) -> dict[str, object]:
        return {"backend": self.name}


@dataclass
class Synthesizer(ABC):
    """Text to speech, one or more voices per locale. ``steady``: the same audio for the same text on every
    call (a voice's random variation off), for tests and for replies that are cached or compared."""

    name: str = field(default="", init=False)
    steady: bool = field(default=False, kw_only=True)

    @abstractmethod
    def synthesize(self, text: str, locale: str, voice: str | None = None) -> Audio: ...

    @abstractmethod
    def voices(self) -> list[Voice]: ...

    def supports(self, locale: str) -> bool:
        return any(v.locale == locale for v in self.voices())
