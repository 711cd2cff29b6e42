"""Test doubles for the assistant: a parser that answers from a script, a fixed clock, fake providers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse, SlotValue

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday


class ScriptedParser(Parser):
    """Returns the parse a test wrote down for each text: isolates dialogue logic from NLU accuracy."""

    kind = "scripted"

    def __init__(self, locales: Sequence[str]) -> None:
        self._locales = list(locales)
        self.script: dict[str, tuple[str, float, dict[str, str]]] = {}

    @property
    def locales(self) -> list[str]:
        return self._locales

    @property
    def intents(self) -> list[str]:
        return sorted({intent for intent, _, _ in self.script.values()} | {"general_quirky"})

    @property
    def slot_labels(self) -> list[str]:
        return sorted({name for _, _, slots in self.script.values() for name in slots} | {"Other"})

    def say(self, text: str, intent: str, confidence: float = 0.95, **slots: str) -> str:
        self.script[text] = (intent, confidence, slots)
        return text

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        out = []
        for text in texts:
            intent, conf, slots = self.script.get(text, ("general_quirky", 0.05, {}))
            values = []
            for name, value in slots.items():
                start = text.find(value)
                assert start >= 0, f"slot value {value!r} not in {text!r}"
                values.append(SlotValue(name, value, start, start + len(value)))
            out.append(Parse(text, locale, intent, conf, tuple(values), ((intent, conf),)))
        return out


class FakeSearch:
    def answer(self, intent: str, slots: dict, text: str, locale: str) -> str:
        return f"answer for {intent}"


class FakeNews:
    def headlines(self, topic: str | None, locale: str, limit: int = 3) -> list[str]:
        return ["Headline one", "Headline two"]


class FakeWeather:
    def forecast(self, place: str | None, day) -> dict:
        return {"temperature_c": 21.0, "condition": "sunny"}
