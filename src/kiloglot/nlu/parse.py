"""The value type parsers return: what the user asked for, with slots located in the text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SlotValue:
    """A slot found in ``Parse.text``: ``text[start:end] == value``."""

    name: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Parse:
    text: str
    locale: str
    intent: str
    confidence: float
    slots: tuple[SlotValue, ...] = ()
    alternatives: tuple[tuple[str, float], ...] = ()  # top-k intents with probabilities, best first
    word_labels: tuple[str, ...] = field(default=(), repr=False)  # per MASSIVE word, for evaluation

    @property
    def scenario(self) -> str:
        return self.intent.split("_", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "locale": self.locale,
            "intent": self.intent,
            "scenario": self.scenario,
            "confidence": round(self.confidence, 6),
            "top_intents": [{"intent": i, "confidence": round(p, 6)} for i, p in self.alternatives],
            "slots": [asdict(s) for s in self.slots],
        }
