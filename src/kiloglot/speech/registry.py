"""Speech back-ends by name, like the parser registry: built-ins imported only when asked for, others
added through the entry-point groups ``kiloglot.recognizers`` and ``kiloglot.synthesizers``
(value ``module:Class``, a ``Recognizer`` or ``Synthesizer`` subclass taking keyword options)."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points
from typing import Any

from kiloglot.errors import InputError
from kiloglot.speech.contract import Recognizer, Synthesizer

RECOGNIZERS = {"whisper": "kiloglot.speech.whisper:WhisperRecognizer"}
SYNTHESIZERS = {
    "best": "kiloglot.speech.layered:LayeredSynthesizer",  # Piper where it has a voice, espeak-ng elsewhere
    "espeak-ng": "kiloglot.speech.espeak:EspeakSynthesizer",
    "piper": "kiloglot.speech.piper:PiperSynthesizer",
}


def _targets(builtin: dict[str, str], group: str) -> dict[str, str]:
    targets = dict(builtin)
    for ep in entry_points(group=group):
        targets.setdefault(ep.name, ep.value)
    return targets


def _build(targets: dict[str, str], name: str, what: str, options: dict[str, Any]) -> Any:
    if name not in targets:
        raise InputError(f"{what} {name!r}: no such back-end; known: {', '.join(sorted(targets))}")
    module, _, attribute = targets[name].partition(":")
    cls = getattr(importlib.import_module(module), attribute)
    try:
        return cls(**options)
    except TypeError as e:  # an option this back-end does not take
        if "unexpected keyword argument" not in str(e):
            raise
        raise InputError(f"{what} {name!r}: {e}; its options: {', '.join(_parameters(cls)) or 'none'}") from None


def _parameters(cls: type) -> list[str]:
    return [p for p in inspect.signature(cls).parameters if p not in ("self", "args", "kwargs")]


def recognizer_names() -> list[str]:
    return sorted(_targets(RECOGNIZERS, "kiloglot.recognizers"))


def synthesizer_names() -> list[str]:
    return sorted(_targets(SYNTHESIZERS, "kiloglot.synthesizers"))


def create_recognizer(name: str = "whisper", **options: Any) -> Recognizer:
    recognizer: Recognizer = _build(_targets(RECOGNIZERS, "kiloglot.recognizers"), name, "recogniser", options)
    return recognizer


def create_synthesizer(name: str = "espeak-ng", **options: Any) -> Synthesizer:
    synthesizer: Synthesizer = _build(_targets(SYNTHESIZERS, "kiloglot.synthesizers"), name, "synthesiser", options)
    return synthesizer
