"""One synthesiser over several back-ends: each locale gets the best voice installed for it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kiloglot.errors import InputError, ModelError
from kiloglot.speech.audio import Audio
from kiloglot.speech.contract import Synthesizer, Voice

log = logging.getLogger(__name__)


@dataclass
class LayeredSynthesizer(Synthesizer):
    """The best voice each locale has: the first back-end in ``backends`` that speaks it (Piper's neural
    voices before espeak-ng's formant ones); back-ends that cannot start are skipped with a warning. A
    steady layered synthesiser makes its back-ends steady."""

    backends: tuple[str, ...] = ("piper", "espeak-ng")
    options: dict[str, dict[str, object]] = field(default_factory=dict)  # back-end -> its keyword options
    name: str = field(default="best", init=False)

    def __post_init__(self) -> None:
        from kiloglot.speech.registry import create_synthesizer

        self._members: list[Synthesizer] = []
        for backend in self.backends:
            try:
                options = {**self.options.get(backend, {}), **({"steady": True} if self.steady else {})}
                self._members.append(create_synthesizer(backend, **options))
            except (ModelError, ImportError, OSError) as e:
                log.warning("speech synthesis: %s is not available (%s)", backend, e)
        if not self._members:
            raise ModelError(f"no speech synthesiser could start (tried {', '.join(self.backends)})")

    def member(self, locale: str, voice: str | None = None) -> Synthesizer:
        for m in self._members:
            if (voice is None and m.supports(locale)) or (voice is not None and voice in {v.name for v in m.voices()}):
                return m
        what = f"voice {voice!r}" if voice else f"locale {locale!r}"
        raise InputError(f"{what}: no voice for it ({', '.join(m.name for m in self._members)})")

    def voices(self) -> list[Voice]:
        return [v for m in self._members for v in m.voices()]

    def supports(self, locale: str) -> bool:
        return any(m.supports(locale) for m in self._members)

    def synthesize(self, text: str, locale: str, voice: str | None = None) -> Audio:
        return self.member(locale, voice).synthesize(text, locale, voice)
