"""espeak-ng through its C library (ctypes), as bundled with its data by the PyPI package
``espeakng-loader`` (so ``pip install`` is all a user needs), or the system's ``libespeak-ng``.

espeak-ng keeps global state and is not re-entrant: one lock serialises synthesis in a process.
Japanese text is read to kana first (pykakasi): espeak-ng's ``ja`` voice spells kanji out one by one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from kiloglot.data.locales import ALL_LOCALES
from kiloglot.errors import InputError, ModelError
from kiloglot.speech.audio import Audio
from kiloglot.speech.contract import Synthesizer, Voice

log = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _EspeakVoice(ctypes.Structure):
    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, language\0)* then \0
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


# MASSIVE locale -> espeak-ng language, where the plain language code is not espeak-ng's name for it.
_LANGUAGE_FOR_LOCALE = {
    "en-US": "en-us",
    "pt-PT": "pt",
    "zh-CN": "cmn",
    "zh-TW": "cmn",  # Mandarin; espeak-ng has no Taiwan variant
    "es-ES": "es",
    "fr-FR": "fr-fr",
    "nb-NO": "nb",
    "sl-SL": "sl",
}


@dataclass(frozen=True)
class _Library:
    lib: Any
    sample_rate: int
    languages: dict[str, str]  # espeak-ng language -> voice identifier


_lock = threading.Lock()
_samples: list[np.ndarray] = []


@_CALLBACK
def _collect(wav: Any, count: int, _events: Any) -> int:
    if count > 0:
        _samples.append(np.ctypeslib.as_array(wav, shape=(count,)).astype(np.float32) / 32768.0)
    return 0  # 0: go on


def _library_path() -> tuple[str, str | None]:
    try:
        import espeakng_loader

        return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
    except ImportError:
        found = ctypes.util.find_library("espeak-ng")
        if not found:
            raise ModelError(
                "espeak-ng is not installed: pip install 'kiloglot[speech]' (bundles it), or apt install espeak-ng"
            ) from None
        return found, None


@cache
def _open() -> _Library:
    path, data = _library_path()
    lib = ctypes.CDLL(path)
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode() if data else None, 0)
    if rate <= 0:
        raise ModelError(f"espeak-ng at {path} failed to start (data folder {data})")
    lib.espeak_SetSynthCallback.argtypes = (_CALLBACK,)
    lib.espeak_SetSynthCallback(_collect)
    lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
    lib.espeak_Synth.argtypes = (
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    )
    lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoice))
    lib.espeak_ListVoices.argtypes = (ctypes.c_void_p,)
    languages: dict[str, str] = {}
    voices = lib.espeak_ListVoices(None)
    i = 0
    while voices[i]:
        voice = voices[i].contents
        identifier = (voice.identifier or b"").decode()
        for language in _languages(voice.languages):
            languages.setdefault(language, identifier)
        i += 1
    log.debug("espeak-ng %s: %d languages at %d Hz", path, len(languages), rate)
    return _Library(lib, rate, languages)


def _languages(pointer: int | None) -> list[str]:
    out: list[str] = []
    if not pointer:
        return out
    offset = 0
    while True:
        priority = ctypes.c_ubyte.from_address(pointer + offset).value
        if priority == 0:
            return out
        name = ctypes.string_at(pointer + offset + 1)
        out.append(name.decode())
        offset += len(name) + 2


@cache
def _kakasi() -> Any:
    import pykakasi

    return pykakasi.kakasi()


def reading(text: str, locale: str) -> str:
    """Text as the voice should read it: Japanese kanji to their kana reading; others unchanged."""
    if locale.startswith("ja"):
        try:
            return "".join(item["hira"] for item in _kakasi().convert(text))
        except ImportError:
            log.warning("pykakasi is not installed: Japanese kanji will be read badly")
    return text


@dataclass
class EspeakSynthesizer(Synthesizer):
    """espeak-ng voices for every locale whose language it has (48 of MASSIVE's 52); a formant synthesiser,
    steady whether asked to be or not."""

    rate_wpm: int = 165
    name: str = field(default="espeak-ng", init=False)

    def language(self, locale: str) -> str | None:
        languages = _open().languages
        for candidate in (_LANGUAGE_FOR_LOCALE.get(locale), locale.lower(), locale.split("-")[0].lower()):
            if candidate and candidate in languages:
                return candidate
        return None

    def voices(self) -> list[Voice]:
        out = []
        for locale in ALL_LOCALES:
            language = self.language(locale)
            if language:
                out.append(Voice(language, locale, self.name))
        return out

    def supports(self, locale: str) -> bool:
        return self.language(locale) is not None

    def synthesize(self, text: str, locale: str, voice: str | None = None) -> Audio:
        language = voice or self.language(locale)
        if language is None:
            raise InputError(f"locale {locale!r}: espeak-ng has no voice for it")
        library = _open()
        if language not in library.languages:
            raise InputError(f"voice {language!r}: espeak-ng has no such voice")
        data = reading(text, locale).encode("utf-8") + b"\0"
        with _lock:
            _samples.clear()
            if library.lib.espeak_SetVoiceByName(library.languages[language].encode()) != 0:
                raise ModelError(f"espeak-ng could not select voice {language!r}")
            library.lib.espeak_SetParameter(_PARAM_RATE, self.rate_wpm, 0)
            if library.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
                raise ModelError(f"espeak-ng failed to speak {text[:40]!r} in {language}")
            samples = np.concatenate(_samples) if _samples else np.zeros(0, np.float32)
            _samples.clear()
        return Audio(samples, library.sample_rate)
