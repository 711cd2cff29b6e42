"""The HTTP API and the web page (FastAPI).

- ``POST /v1/parse``: stateless, batched parsing;
- ``POST /v1/converse``: one dialogue turn (session id in; reply, parse and state out);
- ``GET /v1/sessions/{id}/notifications`` and ``/events`` (Server-Sent Events): what fired for a session;
- ``POST /v1/asr`` (audio in, transcript out), ``POST /v1/tts`` (text in, WAV out), ``POST /v1/converse/audio``
  (a spoken turn: audio in; transcript, detected locale, parse, reply text and reply audio out);
- ``GET /v1/models``, ``/healthz``, ``/metrics`` (Prometheus), ``/docs`` (OpenAPI, served offline);
- ``/``: the chat page.

Errors are JSON ``{"error": {"code": ..., "message": ...}}`` with stable codes: ``invalid_input``,
``unauthorized``, ``not_found``, ``method_not_allowed``, ``payload_too_large``, ``unsupported_media_type``,
``rate_limited``, ``not_configured``, ``http_error``, ``internal``.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from fastapi import FastAPI, Query, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field, StrictBool
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiloglot.assistant import Assistant, ConfidencePolicy, Providers, Store
from kiloglot.assistant.dialogue import MAX_TEXT, check_text, check_user_id
from kiloglot.assistant.nlg import REPLY_LOCALES, page_strings
from kiloglot.assistant.rewriter import Rewriter
from kiloglot.assistant.scheduler import Scheduler
from kiloglot.assistant.spoken import SpokenTurn, VoicePipeline
from kiloglot.assistant.values import warm_up as warm_up_values
from kiloglot.data.locales import normalize_locale
from kiloglot.data.segmentation import warm_up as warm_up_segmenters
from kiloglot.errors import InputError, KiloglotError, NotFound
from kiloglot.langid.contract import LanguageIdentifier
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse
from kiloglot.server.guard import ApiError, Guard, GuardConfig, error_response
from kiloglot.speech.audio import decode
from kiloglot.speech.contract import Recognizer, Synthesizer
from kiloglot.speech.registry import create_recognizer, create_synthesizer

log = logging.getLogger(__name__)

ERROR_CODES = (
    "invalid_input", "unauthorized", "not_found", "method_not_allowed", "payload_too_large",
    "unsupported_media_type", "rate_limited", "not_configured", "http_error", "internal",
)  # fmt: skip


@dataclass
class ServerConfig:
    database: str = "sqlite:///assistant.db"
    api_key: str | None = None  # required on the API when set (X-API-Key or Authorization: Bearer)
    api_keys: tuple[str, ...] = ()  # more keys, one per client: a session is bound to the key that made it
    max_body_bytes: int = 64 * 1024
    max_batch: int = 256
    rate_limit_per_minute: int = 0  # 0: no limit; else requests per client (API key or address) per minute
    auth_failures_per_minute: int = 10  # failed API keys per client address before it is refused for a while
    default_timezone: str = "UTC"
    policy: ConfidencePolicy = field(default_factory=ConfidencePolicy)
    maildir: str | None = None  # offline providers (Providers.offline)
    media: str | None = None
    scheduler: bool = True  # fire alarms, timers and reminders from this process (one leader across workers)
    scheduler_interval: float = 1.0
    asr: str | None = None  # a Whisper model (packaged:whisper-base, base, a folder); None: no /v1/asr
    tts: str | None = None  # a synthesiser back-end (espeak-ng); None: no spoken replies
    max_audio_bytes: int = 8 * 1024 * 1024
    max_audio_seconds: float = 30.0
    rewrites: bool = True  # apply learned rewrites before parsing (the kill switch: False)
    near_rewrites: bool = False  # let the rewriter match texts close to a rewrite's source too


class ErrorDetail(BaseModel):
    code: str = Field(..., description="one of: " + ", ".join(ERROR_CODES))
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    what = {
        400: "the input is not acceptable (a bad locale, an empty or too long text)",
        401: "a missing or wrong API key",
        404: "no such session for this client",
        413: "the body or the batch is too large",
        503: "the server has no speech recogniser or synthesiser configured",
        415: "the body is not application/json",
        422: "the body does not match the schema",
        429: "too many requests, or too many failed API keys (see Retry-After)",
    }
    return {s: {"model": ErrorBody, "description": what[s]} for s in statuses}


API_ERRORS = _errors(400, 401, 413, 415, 422, 429)


# What a text may be, declared in the schema as it is checked (check_text): some non-space character,
# no NUL (PostgreSQL cannot store it), at most MAX_TEXT characters.
# at least one character that is not a space; \x1c-\x1f named as spaces too (Python counts them as spaces, the
# regex engine pydantic uses does not)
_TEXT = r"^[^\x00]*[^\s\x00\x1c-\x1f][^\x00]*$"
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, pattern=_TEXT)]
SessionId = Annotated[str, Field(min_length=1, max_length=128, pattern=_TEXT)]
UserId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@-]+$")]
UserPath = Annotated[
    str, FastApiPath(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$", description="the user id turns were logged under")
]
AFTER = Query(0, ge=0, le=2**63 - 1, description="only what fired after this notification id")
SessionPath = Annotated[str, FastApiPath(min_length=1, max_length=128, pattern=_TEXT)]
LocaleQuery = Annotated[str | None, Query(description="the language spoken; omit or 'auto' to detect it")]
SessionQuery = Annotated[
    str | None, Query(min_length=1, max_length=128, pattern=_TEXT, description="omit to start a new session")
]
TimezoneQuery = Annotated[str | None, Query(min_length=1, description="IANA time zone, e.g. Europe/Berlin")]
AUDIO_MEDIA = ("audio/wav", "audio/webm", "audio/ogg", "audio/flac", "audio/mpeg", "application/octet-stream")


class ParseRequest(BaseModel):
    texts: list[Text] = Field(..., description="utterances, parsed as one batch (at most 256 by default)",
                              min_length=1)  # fmt: skip
    locale: str = Field(..., description="one of the model's locales, in any case", examples=["en-US"])


class SpeakRequest(BaseModel):
    text: Text = Field(..., examples=["Your alarm is set for 7:30 AM"])
    locale: str = Field(..., description="the language to speak", examples=["en-US"])
    voice: str | None = Field(None, description="a voice of the synthesiser (GET /v1/models lists them)")


class ConverseRequest(BaseModel):
    text: Text = Field(..., examples=["wake me up at seven tomorrow"])
    locale: str | None = Field(
        None, description="the conversation's locale; on a new session without one, the best match of the "
        "Accept-Language header among the model's locales", examples=["en-US"],
    )  # fmt: skip
    session_id: SessionId | None = Field(None, description="omit to start a new session")
    timezone: str | None = Field(None, description="IANA time zone, e.g. Europe/Berlin", min_length=1)
    user_id: UserId | None = Field(
        None, description="an opaque id of the user across sessions (or the X-Kiloglot-User header); "
        "omitted: the session's user, an anonymous one per session",
    )  # fmt: skip
    rewrite: StrictBool = Field(True, description="apply learned rewrites to this turn (false: parse the text as said)")


class FeedbackRequest(BaseModel):
    turn_id: int = Field(..., ge=1, le=2**53, description="the turn_id a /v1/converse reply carried")
    rating: Literal["good", "bad"]
    text: Text | None = Field(None, description="what the user meant to say, when they say so")
    intent: str | None = Field(None, min_length=1, max_length=64, description="the intent the user meant")


# A parse request this short runs on the event loop when the model is linear (a parse of one utterance
# takes about a millisecond); longer ones, and any for other kinds, go to the thread pool. Handing every
# request to a thread halved /v1/parse throughput under load (50 clients, 2 workers).
INLINE_CHARACTERS = 400


def best_locale(accept_language: str | None, locales: Sequence[str]) -> str:
    """The model locale an ``Accept-Language`` header prefers (exact, then same language), else en-US
    when the model has it, else its first locale."""
    wanted: list[tuple[float, str]] = []
    for item in (accept_language or "").split(","):
        tag, _, q = item.strip().partition(";q=")
        try:
            wanted.append((float(q) if q else 1.0, tag.strip()))
        except ValueError:
            continue
    for _, tag in sorted(wanted, key=lambda w: -w[0]):
        code = normalize_locale(tag)
        if code in locales:
            return code
        same = [loc for loc in locales if loc.split("-")[0].lower() == tag.split("-")[0].lower()]
        if same and tag:
            return same[0]
    return "en-US" if "en-US" in locales else locales[0]


def _json(payload: Any, status: int = 200) -> Response:
    """Plain JSON: our payloads are JSON types already, so FastAPI's generic encoder pass is skipped."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


class LockedParser(Parser):
    """Serialises calls into a parser whose backends are not thread-safe (crfsuite taggers, torch modules)."""

    def __init__(self, inner: Parser) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._warm: set[str] = set()
        self.kind, self.runtime = inner.kind, inner.runtime  # type: ignore[misc]

    @property
    def locales(self) -> list[str]:
        return self.inner.locales

    @property
    def intents(self) -> list[str]:
        return self.inner.intents

    @property
    def slot_labels(self) -> list[str]:
        return self.inner.slot_labels

    def supports(self, locale: str) -> bool:
        return self.inner.supports(locale)

    def check_request(self, texts: Sequence[str], locale: str) -> None:
        self.inner.check_request(texts, locale)

    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        with self._lock:
            parses = self.inner.parse(texts, locale)
            if locale not in self._warm:
                # A locale's weights load on first use (large vocabularies: many long-lived objects).
                # Moving them out of the collector's reach keeps full collections, and latency tails, short.
                self._warm.add(locale)
                gc.collect()
                gc.freeze()
            return parses


def create_app(
    parser: Parser,
    config: ServerConfig | None = None,
    *,
    model_info: dict[str, Any] | None = None,
    providers: Providers | None = None,
    store: Store | None = None,
    clock: Callable[[], datetime] | None = None,
    identifier: LanguageIdentifier | None = None,
    recognizer: Recognizer | None = None,
    synthesizer: Synthesizer | None = None,
) -> FastAPI:
    config = config or ServerConfig()
    locked = LockedParser(parser)
    store = store or Store(config.database)
    assistant = Assistant(
        locked, store, policy=config.policy, providers=providers or Providers.offline(config.maildir, config.media),
        default_timezone=config.default_timezone, clock=clock, identifier=identifier,
        rewriter=Rewriter(store, near=config.near_rewrites) if config.rewrites else None,
    )  # fmt: skip
    if recognizer is None and config.asr:
        recognizer = create_recognizer("whisper", model=config.asr, locales=tuple(parser.locales))
    if synthesizer is None and config.tts:
        synthesizer = create_synthesizer(config.tts)
    voice = VoicePipeline(assistant, recognizer, synthesizer, max_seconds=config.max_audio_seconds)
    speech_lock = threading.Lock()  # one recognition at a time: CTranslate2 already uses the cores it is given
    scheduler = Scheduler(store, clock=clock) if config.scheduler else None
    registry = CollectorRegistry()
    requests = Counter("kiloglot_requests_total", "HTTP requests", ["path", "status"], registry=registry)
    latency = Histogram(
        "kiloglot_request_seconds", "HTTP request latency", ["path"], registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )  # fmt: skip
    turns = Counter("kiloglot_turns_total", "dialogue turns by action", ["action", "locale"], registry=registry)
    parsed = Counter("kiloglot_parsed_utterances_total", "utterances parsed by /v1/parse", registry=registry)
    rewritten = Counter("kiloglot_rewritten_turns_total", "turns parsed through a learned rewrite", ["locale"],
                        registry=registry)  # fmt: skip
    ratings = Counter("kiloglot_feedback_total", "explicit ratings of turns", ["rating"], registry=registry)
    info = dict(model_info or {})
    info.setdefault("kind", parser.kind)
    info["locales"] = list(parser.locales)
    info["intents"] = list(parser.intents)  # what a rating can say was meant (the page's "what did you mean?")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # what loads on first use loads now: one request paying a second for it stalls all the others
        await run_in_threadpool(warm_up_segmenters, list(parser.locales))
        await run_in_threadpool(warm_up_values, list(parser.locales))
        if recognizer is not None and hasattr(recognizer, "loaded"):
            await run_in_threadpool(recognizer.loaded)  # 145 MB of Whisper: at start, not in the first request
        if scheduler is not None:
            scheduler.start(config.scheduler_interval)
        yield
        if scheduler is not None:
            scheduler.stop()

    app = FastAPI(
        title="kiloglot",
        version=_version(),
        description="Multilingual intent and slot parsing, dialogue, and replies in the user's language.",
        docs_url=None,  # served below from local files: /docs works offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.assistant = assistant
    app.state.config = config
    app.state.scheduler = scheduler
    app.add_middleware(
        Guard,
        config=GuardConfig(
            tuple(k for k in (config.api_key, *config.api_keys) if k), config.max_body_bytes,
            config.rate_limit_per_minute, config.auth_failures_per_minute, config.max_audio_bytes,
        ),
        routes=lambda: app.router.routes,
        requests=requests,
        latency=latency,
    )  # fmt: skip

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> Response:
        return error_response(404, "not_found", str(exc))

    @app.exception_handler(KiloglotError)
    async def kiloglot_error(_: Request, exc: KiloglotError) -> Response:
        return error_response(400, "invalid_input", str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error_response(422, "invalid_input", f"{where or 'body'}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))  # Allow on 405

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> Response:  # pragma: no cover - last resort
        return error_response(500, "internal", f"internal error ({type(exc).__name__})")

    def client_of(request: Request) -> str | None:
        return getattr(request.state, "client", None)

    # Model code and the database run in the thread pool, so that they never hold up the event loop (and
    # /healthz stays quick under load): converse is a sync handler; parse hands over all but short texts
    # to a linear model, which cost less than the hand-off.
    inline_characters = INLINE_CHARACTERS if parser.kind == "linear" else 0

    @app.post("/v1/parse", summary="Parse a batch of utterances (stateless)", responses=API_ERRORS)
    async def parse_endpoint(req: ParseRequest) -> Response:
        if len(req.texts) > config.max_batch:
            raise ApiError(413, "payload_too_large", f"{len(req.texts)} texts, at most {config.max_batch} per call")
        for i, t in enumerate(req.texts):
            check_text(f"text #{i + 1}", t, MAX_TEXT)
        locale = normalize_locale(req.locale)
        locked.check_request(req.texts, locale)
        if sum(len(t) for t in req.texts) <= inline_characters:
            parses = locked.parse(req.texts, locale)  # about a millisecond: cheaper than a thread hand-off
        else:  # a big batch must not hold up the event loop (and /healthz with it)
            parses = await run_in_threadpool(locked.parse, req.texts, locale)
        parsed.inc(len(parses))
        return _json({"locale": locale, "parses": [p.to_dict() for p in parses]})

    @app.post("/v1/converse", summary="One dialogue turn", responses={**API_ERRORS, **_errors(404)})
    def converse_endpoint(req: ConverseRequest, request: Request) -> Response:
        session_id = req.session_id if req.session_id is not None else secrets.token_hex(16)  # 128 bits
        locale = normalize_locale(req.locale) if req.locale is not None else None
        fallback = best_locale(request.headers.get("accept-language"), parser.locales)
        user_id = req.user_id or request.headers.get("x-kiloglot-user") or None
        result = assistant.converse(
            session_id, req.text, locale, req.timezone, owner=client_of(request), fallback_locale=fallback,
            user_id=user_id, rewrite=req.rewrite,
        )  # fmt: skip
        turns.labels(result.action, result.locale).inc()
        if result.rewritten is not None:
            rewritten.labels(result.locale).inc()
        return _json(result.to_dict())

    @app.post(
        "/v1/feedback", summary="Rate one assistant turn (good or bad), optionally with what was meant",
        responses={**API_ERRORS, **_errors(404)},
    )  # fmt: skip
    def feedback_endpoint(req: FeedbackRequest, request: Request) -> Response:
        if req.intent is not None and req.intent not in parser.intents:
            raise InputError(f"intent {req.intent!r}: not one of this model's intents")
        feedback_id = store.record_feedback(
            req.turn_id, req.rating, text=req.text, intent=req.intent, owner=client_of(request)
        )
        ratings.labels(req.rating).inc()
        return _json({"id": feedback_id, "turn_id": req.turn_id, "rating": req.rating})

    @app.delete(
        "/v1/users/{user_id}", summary="Delete a user's sessions, turns and feedback (and their evidence for learning)",
        responses=_errors(400, 401, 429),
    )  # fmt: skip
    def forget_user_endpoint(user_id: UserPath, request: Request) -> Response:
        check_user_id(user_id)
        sessions = store.forget_user(user_id, owner=client_of(request))
        return _json({"user_id": user_id, "sessions_deleted": sessions})

    def session_of(session_id: str, request: Request) -> str:
        check_text("session id", session_id, 128)
        row = store.load_session(session_id)
        if row is None or (row.owner is not None and row.owner != client_of(request)):
            raise NotFound(f"no session {session_id!r} for this client")
        return session_id

    @app.get(
        "/v1/sessions/{session_id}/notifications",
        summary="What fired for a session (alarms, timers, reminders)",
        responses={**API_ERRORS, **_errors(404)},
    )
    def notifications_endpoint(session_id: SessionPath, request: Request, after: int = AFTER) -> Response:
        sid = session_of(session_id, request)
        return _json({"notifications": [_note(n) for n in store.notifications(sid, after)]})

    @app.get(
        "/v1/sessions/{session_id}/events",
        summary="Server-Sent Events: what fires for a session, as it fires",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}, **API_ERRORS, **_errors(404)},
    )
    async def events_endpoint(session_id: SessionPath, request: Request, after: int = AFTER) -> StreamingResponse:
        sid = await run_in_threadpool(session_of, session_id, request)
        last = request.headers.get("last-event-id")
        start = int(last) if last and last.isdigit() else after

        async def stream() -> AsyncIterator[bytes]:
            seen = start
            yield b": connected\n\n"
            while not await request.is_disconnected():
                for n in await run_in_threadpool(store.notifications, sid, seen):
                    seen = n.id
                    data = json.dumps(_note(n), ensure_ascii=False)
                    yield f"id: {n.id}\nevent: notification\ndata: {data}\n\n".encode()
                await asyncio.sleep(config.scheduler_interval)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    audio_body = {
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in AUDIO_MEDIA},
        }
    }

    def audio_locale(locale: str | None) -> str | None:
        if locale is None or locale.strip().lower() in ("", "auto"):
            return None
        code = normalize_locale(locale)
        if code not in parser.locales:
            raise ApiError(400, "invalid_input", f"locale {locale!r}: the model has {', '.join(parser.locales)}")
        return code

    # The speech routes are in the schema only when the server hears (or speaks); otherwise they answer 503
    # not_configured, which says what to start the server with.
    hears, speaks = recognizer is not None, synthesizer is not None

    @app.post(
        "/v1/asr", summary="Speech to text (any audio container; 16 kHz mono inside)", openapi_extra=audio_body,
        responses={**API_ERRORS, **_errors(503)}, include_in_schema=hears,
    )  # fmt: skip
    async def asr_endpoint(request: Request, locale: LocaleQuery = None) -> Response:
        body = await request.body()
        code = audio_locale(locale)

        def run() -> dict[str, Any]:
            audio = decode(body)
            with speech_lock:
                return voice.hear(audio, code).to_json()

        if recognizer is None:
            raise ApiError(503, "not_configured", "this server has no speech recogniser (serve --asr MODEL)")
        return _json(await run_in_threadpool(run))

    @app.post(
        "/v1/tts", summary="Text to speech (WAV out)", response_class=Response,
        responses={200: {"content": {"audio/wav": {}}}, **API_ERRORS, **_errors(503)}, include_in_schema=speaks,
    )  # fmt: skip
    def tts_endpoint(req: SpeakRequest) -> Response:
        if synthesizer is None:
            raise ApiError(503, "not_configured", "this server has no speech synthesiser (serve --tts espeak-ng)")
        locale = normalize_locale(req.locale)
        if not synthesizer.supports(locale) and req.voice is None:
            raise ApiError(400, "invalid_input", f"locale {req.locale!r}: no voice for it; GET /v1/models lists them")
        audio = synthesizer.synthesize(req.text, locale, req.voice)
        return Response(audio.to_wav(), media_type="audio/wav")

    @app.post(
        "/v1/converse/audio", summary="One spoken dialogue turn: audio in, reply text and audio out",
        openapi_extra=audio_body, responses={**API_ERRORS, **_errors(404, 503)}, include_in_schema=hears,
    )  # fmt: skip
    async def converse_audio_endpoint(
        request: Request,
        locale: LocaleQuery = None,
        session_id: SessionQuery = None,
        timezone: TimezoneQuery = None,
        speak: bool = Query(True, description="speak the reply (reply_audio: base64 WAV)"),
    ) -> Response:
        if recognizer is None:
            raise ApiError(503, "not_configured", "this server has no speech recogniser (serve --asr MODEL)")
        body = await request.body()
        code = audio_locale(locale)
        sid = session_id if session_id is not None else secrets.token_hex(16)
        owner = client_of(request)

        def run() -> SpokenTurn:
            audio = decode(body)
            with speech_lock:
                return voice.converse(sid, audio, code, timezone, owner=owner, speak=speak)

        spoken = await run_in_threadpool(run)
        if spoken.result is not None:
            turns.labels(spoken.result.action, spoken.result.locale).inc()
        payload = spoken.to_dict()
        payload["session_id"] = sid
        payload["reply_audio"] = base64.b64encode(spoken.reply_audio.to_wav()).decode() if spoken.reply_audio else None
        return _json(payload)

    def speech_info() -> dict[str, Any]:
        voices = synthesizer.voices() if synthesizer else []
        voiced = {v.locale for v in voices}
        return {
            "asr": recognizer.describe() if recognizer else None,
            "tts": {"backend": synthesizer.name, "voices": [v.__dict__ for v in voices]} if synthesizer else None,
            "locales_without_voice": [loc for loc in parser.locales if loc not in voiced],
            "language_identifier": identifier.name if identifier else None,
        }

    @app.get("/v1/models", summary="The model being served, its voices and recogniser", responses=_errors(401, 429))
    def models_endpoint() -> dict[str, Any]:
        return {"models": [info], "reply_locales": list(REPLY_LOCALES), "speech": speech_info()}

    @app.get("/healthz", summary="Liveness and readiness")
    def healthz() -> dict[str, Any]:
        try:
            store.count_turns()
            db = "ok"
        except Exception as exc:
            db = f"error: {type(exc).__name__}"
        return {"status": "ok" if db == "ok" else "degraded", "model": info.get("kind"),
                "locales": len(info["locales"]), "database": db}  # fmt: skip

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **_errors(401, 429)},
    )
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    static = resources.files("kiloglot.server").joinpath("static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(static.joinpath("index.html")), media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str) -> FileResponse:
        if name not in {"app.js", "style.css"}:
            raise ApiError(404, "not_found", f"no static file {name!r}")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(str(static.joinpath(name)), media_type=kind)

    @app.get("/static/page/{locale}", include_in_schema=False)
    def page_words(locale: str) -> dict[str, str]:
        return page_strings(locale)  # any string: unknown locales get English

    def openapi() -> dict[str, Any]:
        """The generated schema with what only this app knows: its model's locales, the time zones."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)  # fmt: skip
            props = schema["components"]["schemas"]
            props["ParseRequest"]["properties"]["locale"]["enum"] = list(parser.locales)
            converse = props["ConverseRequest"]["properties"]
            converse["locale"]["anyOf"][0]["enum"] = list(parser.locales)
            converse["timezone"]["anyOf"][0]["enum"] = sorted(available_timezones())
            props["FeedbackRequest"]["properties"]["intent"]["anyOf"][0]["enum"] = list(parser.intents)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    swagger = _swagger_assets()
    if swagger is not None:
        app.mount("/static/swagger", StaticFiles(directory=swagger), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger is None:  # pragma: no cover - swagger-ui-bundle is a dependency
            return HTMLResponse("<p>API schema: <a href='/openapi.json'>/openapi.json</a></p>")
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="kiloglot API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js", swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )  # fmt: skip

    return app


def _note(n: Any) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "message": n.message, "created": n.created.isoformat(), **(n.data or {})}


def _swagger_assets() -> str | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover
        return None
    return str(swagger_ui_path)


def _version() -> str:
    from kiloglot import __version__

    return __version__


def create_app_from_model(model: str | Path, config: ServerConfig | None = None) -> FastAPI:
    from kiloglot.nlu import load, read_manifest

    manifest = read_manifest(model)
    parser = load(model)
    info = {
        "name": Path(model).name,  # not the path: where the server keeps its models is its own business
        "kind": manifest["kind"],
        "runtime": manifest["runtime"],
        "intents": len(manifest["intents"]),
        "slots": len(manifest["slots"]),
        "created": manifest.get("created"),
        "metrics": manifest.get("metrics"),
    }
    return create_app(parser, config, model_info=info, identifier=_identifier(model))


def _identifier(model: str | Path) -> LanguageIdentifier | None:
    """The model's own language identifier, else py3langid when installed, else none (turns need a locale)."""
    from kiloglot.langid import load_identifier

    try:
        return load_identifier(model)
    except KiloglotError as exc:
        log.warning("no language identifier: %s", exc)
        return None
