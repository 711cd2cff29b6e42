"""kiloglot as a Wyoming server, the protocol Home Assistant's voice pipeline speaks to speech and intent
services (PyPI ``wyoming``): speech to text (``transcribe`` + audio), text to speech (``synthesize``),
intent recognition (``recognize`` -> ``intent`` / ``not-recognized``) and intent handling (a
``transcript`` -> the assistant's turn -> ``handled`` with the reply). ``describe`` answers ``info``
listing the languages and voices.

    kiloglot wyoming --model models/linear-demo --uri tcp://127.0.0.1:10700

Home Assistant: Settings -> Devices & services -> Add integration -> Wyoming Protocol -> host and port.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    Describe,
    HandleModel,
    HandleProgram,
    Info,
    IntentModel,
    IntentProgram,
    TtsProgram,
    TtsVoice,
)
from wyoming.intent import Entity, Intent, NotRecognized, Recognize
from wyoming.server import AsyncEventHandler, AsyncServer
from wyoming.tts import Synthesize

from kiloglot.assistant.spoken import VoicePipeline
from kiloglot.data.locales import normalize_locale
from kiloglot.errors import KiloglotError
from kiloglot.speech.audio import Audio

log = logging.getLogger(__name__)

ATTRIBUTION = Attribution(name="kiloglot", url="https://github.com/kiloglot/kiloglot")
CHUNK_SAMPLES = 1024  # what Wyoming's own services send per audio-chunk


@dataclass
class WyomingService:
    """What every connection shares: the voice pipeline and a lock (one model call at a time)."""

    voice: VoicePipeline
    version: str = ""

    def __post_init__(self) -> None:
        self.lock = asyncio.Lock()

    @property
    def locales(self) -> list[str]:
        return self.voice.locales

    def locale_of(self, language: str | None) -> str | None:
        """A Wyoming language (``de``, ``de-DE``, ``de_DE``) -> one of the model's locales; None: detect."""
        if not language:
            return None
        code = normalize_locale(language)
        if code in self.locales:
            return code
        same = [
            loc for loc in self.locales if loc.split("-")[0].lower() == language.split("-")[0].split("_")[0].lower()
        ]
        if same:
            return same[0]
        raise KiloglotError(f"language {language!r}: this model has {', '.join(self.locales)}")

    def info(self) -> Info:
        languages = self.locales
        asr, tts = [], []
        recognizer, synthesizer = self.voice.recognizer, self.voice.synthesizer
        if recognizer is not None:
            name = str(recognizer.describe().get("model", recognizer.name))
            model = AsrModel(languages=languages, **_artifact(name, "Whisper (CTranslate2)", WHISPER))
            asr.append(AsrProgram(models=[model], **_artifact("kiloglot-asr", "speech recognition", self.version)))
        if synthesizer is not None:
            voices = [
                TtsVoice(languages=[v.locale], **_artifact(v.name, f"{v.backend} {v.locale}", ESPEAK))
                for v in synthesizer.voices()
                if v.locale in languages
            ]
            tts.append(TtsProgram(voices=voices, **_artifact("kiloglot-tts", "speech synthesis", self.version)))
        parser = self.voice.assistant.parser
        intent_model = IntentModel(languages=languages, **_artifact(parser.kind, f"{len(parser.intents)} intents"))
        intent = IntentProgram(models=[intent_model], **_artifact("kiloglot-intent", "intents", self.version))
        handle_model = HandleModel(languages=languages, **_artifact("assistant", "18 skills, replies in your language"))
        handle = HandleProgram(models=[handle_model], **_artifact("kiloglot-assistant", "assistant", self.version))
        return Info(asr=asr, tts=tts, intent=[intent], handle=[handle])


WHISPER = Attribution(name="OpenAI Whisper via faster-whisper", url="https://github.com/SYSTRAN/faster-whisper")
ESPEAK = Attribution(name="espeak-ng", url="https://github.com/espeak-ng/espeak-ng")


def _artifact(name: str, description: str, by: Attribution | str | None = None) -> dict[str, Any]:
    """The fields every Wyoming artifact has; ``by`` is an attribution, or kiloglot's version."""
    attribution = by if isinstance(by, Attribution) else ATTRIBUTION
    version = by if isinstance(by, str) else None
    return {"name": name, "attribution": attribution, "installed": True, "description": description,
            "version": version}  # fmt: skip


class WyomingHandler(AsyncEventHandler):
    """One client connection. Its dialogue session is the client's ``conversation_id`` (context), else one per
    connection."""

    def __init__(self, service: WyomingService, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.session_id = secrets.token_hex(16)
        self.language: str | None = None
        self.audio: list[bytes] = []
        self.format: tuple[int, int, int] = (16_000, 2, 1)

    async def handle_event(self, event: Event) -> bool:
        try:
            await self._handle(event)
        except KiloglotError as exc:
            log.info("wyoming: %s", exc)
            from wyoming.error import Error

            await self.write_event(Error(text=str(exc), code="invalid_input").event())
        return True

    async def _handle(self, event: Event) -> None:
        service = self.service
        if Describe.is_type(event.type):
            await self.write_event(service.info().event())
        elif Transcribe.is_type(event.type):
            self.language = Transcribe.from_event(event).language
            self.audio = []
        elif AudioStart.is_type(event.type):
            start = AudioStart.from_event(event)
            self.format, self.audio = (start.rate, start.width, start.channels), []
        elif AudioChunk.is_type(event.type):
            self.audio.append(AudioChunk.from_event(event).audio)
        elif AudioStop.is_type(event.type):
            await self._transcribe()
        elif Synthesize.is_type(event.type):
            await self._synthesize(Synthesize.from_event(event))
        elif Recognize.is_type(event.type):
            await self._recognize(Recognize.from_event(event))
        elif Transcript.is_type(event.type):
            await self._handle_transcript(Transcript.from_event(event))

    async def _transcribe(self) -> None:
        rate, width, channels = self.format
        if width != 2:
            raise KiloglotError(f"audio of {width}-byte samples: expected 16-bit PCM (width 2)")
        audio = Audio.from_pcm16(b"".join(self.audio), rate, channels).resampled()
        self.audio = []
        locale = self.service.locale_of(self.language)
        async with self.service.lock:
            transcript = await asyncio.to_thread(self.service.voice.hear, audio, locale)
        await self.write_event(Transcript(text=transcript.text, language=transcript.locale).event())

    async def _synthesize(self, request: Synthesize) -> None:
        voice = request.voice
        locale = self.service.locale_of(voice.language if voice else None) or self.service.locales[0]
        synthesizer = self.service.voice.synthesizer
        if synthesizer is None:
            raise KiloglotError("this server has no speech synthesiser")
        async with self.service.lock:
            audio = await asyncio.to_thread(synthesizer.synthesize, request.text, locale, voice.name if voice else None)
        pcm = audio.to_pcm16()
        rate = audio.sample_rate
        await self.write_event(AudioStart(rate=rate, width=2, channels=1).event())
        step = CHUNK_SAMPLES * 2
        for i in range(0, len(pcm), step):
            await self.write_event(AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + step]).event())
        await self.write_event(AudioStop().event())

    def _locale_for_text(self, text: str, language: str | None) -> str:
        locale = self.service.locale_of(language)
        if locale is None:
            assistant = self.service.voice.assistant
            locale = assistant.choose_locale(text, None, self.service.locales[0]) or self.service.locales[0]
        return locale

    async def _recognize(self, request: Recognize) -> None:
        context = request.context or {}
        locale = self._locale_for_text(request.text, context.get("language"))
        parser = self.service.voice.assistant.parser
        async with self.service.lock:
            parse = (await asyncio.to_thread(parser.parse, [request.text], locale))[0]
        if parse.intent is None or parse.confidence < self.service.voice.assistant.arbiter.policy.rephrase:
            await self.write_event(NotRecognized(text=request.text, context=context).event())
            return
        entities = [Entity(name=s.name, value=s.value) for s in parse.slots]
        out_context = {**context, "language": locale, "confidence": round(parse.confidence, 4)}
        await self.write_event(
            Intent(name=parse.intent, entities=entities, text=request.text, context=out_context).event()
        )

    async def _handle_transcript(self, transcript: Transcript) -> None:
        context = getattr(transcript, "context", None) or {}
        session = str(context.get("conversation_id") or self.session_id)
        locale = self._locale_for_text(transcript.text, transcript.language)
        assistant = self.service.voice.assistant
        async with self.service.lock:
            result = await asyncio.to_thread(assistant.converse, session, transcript.text, locale)
        out_context = {"conversation_id": session, "language": result.locale, "intent": result.parse.get("intent")}
        if result.action in ("fallback", "rephrase"):
            await self.write_event(NotHandled(text=result.reply, context=out_context).event())
        else:
            await self.write_event(Handled(text=result.reply, context=out_context).event())


async def run_wyoming(service: WyomingService, uri: str, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled; ``ready`` is set once the port is bound."""
    server = AsyncServer.from_uri(uri)
    await server.start(partial(WyomingHandler, service))
    log.info("Wyoming server on %s: %s", uri, ", ".join(service.locales))
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
