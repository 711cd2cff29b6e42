"""A spoken turn: audio in -> transcript (in the parser's written style) -> the assistant's turn -> the
reply spoken in its language. One pipeline for the HTTP API, ``kiloglot chat --voice`` and the Wyoming
server, so that they hear and speak alike."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from kiloglot.assistant.dialogue import Assistant, TurnResult
from kiloglot.errors import InputError
from kiloglot.speech.audio import DEFAULT_MAX_SECONDS, Audio, check_speech
from kiloglot.speech.contract import Recognizer, Synthesizer, Transcript
from kiloglot.speech.normalize import to_written_style

log = logging.getLogger(__name__)


@dataclass
class SpokenTurn:
    transcript: Transcript
    result: TurnResult | None  # None when nothing was said
    reply_audio: Audio | None  # None when the reply's locale has no voice
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    note: str = ""  # why there is no reply audio, or no turn

    def to_dict(self) -> dict[str, Any]:
        return {
            "transcript": self.transcript.to_json(),
            "turn": self.result.to_dict() if self.result else None,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "note": self.note,
        }


@dataclass
class VoicePipeline:
    assistant: Assistant
    recognizer: Recognizer | None
    synthesizer: Synthesizer | None
    max_seconds: float = DEFAULT_MAX_SECONDS
    switch_confidence: float = 0.9  # a spoken turn leaves the session's locale only when Whisper is this sure

    @property
    def locales(self) -> list[str]:
        return list(self.assistant.parser.locales)

    def hear(self, audio: Audio, locale: str | None = None, session_locale: str | None = None) -> Transcript:
        """Transcribe one request. Without ``locale``: the recogniser's spoken-language guess over the model's
        locales decides, but a session keeps its locale unless the guess is strong."""
        if self.recognizer is None:
            raise InputError("this server has no speech recogniser (start it with --asr)")
        check_speech(audio, max_seconds=self.max_seconds)
        language_confidence = None
        if locale is None:
            ranked = self.recognizer.detect(audio, self.locales)
            if ranked:
                best, language_confidence = ranked[0]
                keep = session_locale is not None and language_confidence < self.switch_confidence
                locale = session_locale if keep else best
            else:
                locale = session_locale
        transcript = self.recognizer.transcribe(audio, locale)
        written = to_written_style(transcript.text, transcript.locale or locale or "en-US")
        return Transcript(
            written, transcript.locale, transcript.confidence, transcript.segments,
            language_confidence if language_confidence is not None else transcript.language_confidence,
            transcript.text,
        )  # fmt: skip

    def speak(self, text: str, locale: str) -> Audio | None:
        if self.synthesizer is None or not self.synthesizer.supports(locale):
            return None
        return self.synthesizer.synthesize(text, locale)

    def converse(
        self,
        session_id: str,
        audio: Audio,
        locale: str | None = None,
        timezone_name: str | None = None,
        *,
        owner: str | None = None,
        speak: bool = True,
    ) -> SpokenTurn:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        session = self.assistant.store.load_session(session_id)
        transcript = self.hear(audio, locale, session.locale if session else None)
        timings["asr"] = time.perf_counter() - start
        if not transcript.text.strip():
            return SpokenTurn(transcript, None, None, timings, "nothing was heard")
        mark = time.perf_counter()
        result = self.assistant.converse(session_id, transcript.text, transcript.locale, timezone_name, owner=owner)
        timings["turn"] = time.perf_counter() - mark
        reply_audio, note = None, ""
        if speak:
            mark = time.perf_counter()
            reply_audio = self.speak(result.reply, result.reply_locale)
            timings["tts"] = time.perf_counter() - mark
            if reply_audio is None:
                note = f"no voice for {result.reply_locale}: the reply is text only"
        timings["total"] = time.perf_counter() - start
        return SpokenTurn(transcript, result, reply_audio, timings, note)
