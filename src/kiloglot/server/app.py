"""The HTTP API and the web page (FastAPI).

- ``POST /v1/parse``: stateless, batched parsing;
- ``POST /v1/converse``: one dialogue turn (session id in; reply, parse and state out);
- ``GET /v1/sessions/{id}/notifications`` and ``/events`` (Server-Sent Events): what fired for a session;
- ``GET /v1/models``, ``/healthz``, ``/metrics`` (Prometheus), ``/docs`` (OpenAPI, served offline);
- ``/``: the chat page.

Errors are JSON ``{"error": {"code": ..., "message": ...}}`` with stable codes: ``invalid_input``,
``unauthorized``, ``not_found``, ``method_not_allowed``, ``payload_too_large``, ``unsupported_media_type``,
``rate_limited``, ``http_error``, ``internal``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import FastAPI, Query, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiloglot.assistant import Assistant, ConfidencePolicy, Providers, Store
from kiloglot.assistant.dialogue import MAX_TEXT, check_text
from kiloglot.assistant.nlg import REPLY_LOCALES, page_strings
from kiloglot.assistant.scheduler import Scheduler
from kiloglot.assistant.values import warm_up as warm_up_values
from kiloglot.data.locales import normalize_locale
from kiloglot.data.segmentation import warm_up as warm_up_segmenters
from kiloglot.errors import KiloglotError, NotFound
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse
from kiloglot.server.guard import ApiError, Guard, GuardConfig, error_response

ERROR_CODES = (
    "invalid_input", "unauthorized", "not_found", "method_not_allowed", "payload_too_large",
    "unsupported_media_type", "rate_limited", "http_error", "internal",
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
        415: "the body is not application/json",
        422: "the body does not match the schema",
        429: "too many requests, or too many failed API keys (see Retry-After)",
    }
    return {s: {"model": ErrorBody, "description": what[s]} for s in statuses}


API_ERRORS = _errors(400, 401, 413, 415, 422, 429)


# What a text may be, declared in the schema as it is checked (check_text): some non-space character,
# no NUL (PostgreSQL cannot store it), at most MAX_TEXT characters.
_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, pattern=_TEXT)]
SessionId = Annotated[str, Field(min_length=1, max_length=128, pattern=_TEXT)]
AFTER = Query(0, ge=0, le=2**63 - 1, description="only what fired after this notification id")
SessionPath = Annotated[str, FastApiPath(min_length=1, max_length=128, pattern=_TEXT)]


class ParseRequest(BaseModel):
    texts: list[Text] = Field(..., description="utterances, parsed as one batch (at most 256 by default)",
                              min_length=1)  # fmt: skip
    locale: str = Field(..., description="one of the model's locales, in any case", examples=["en-US"])


class ConverseRequest(BaseModel):
    text: Text = Field(..., examples=["wake me up at seven tomorrow"])
    locale: str | None = Field(
        None, description="the conversation's locale; on a new session without one, the best match of the "
        "Accept-Language header among the model's locales", examples=["en-US"],
    )  # fmt: skip
    session_id: SessionId | None = Field(None, description="omit to start a new session")
    timezone: str | None = Field(None, description="IANA time zone, e.g. Europe/Berlin", min_length=1)


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
) -> FastAPI:
    config = config or ServerConfig()
    locked = LockedParser(parser)
    store = store or Store(config.database)
    assistant = Assistant(
        locked, store, policy=config.policy, providers=providers or Providers.offline(config.maildir, config.media),
        default_timezone=config.default_timezone, clock=clock,
    )  # fmt: skip
    scheduler = Scheduler(store, clock=clock) if config.scheduler else None
    registry = CollectorRegistry()
    requests = Counter("kiloglot_requests_total", "HTTP requests", ["path", "status"], registry=registry)
    latency = Histogram(
        "kiloglot_request_seconds", "HTTP request latency", ["path"], registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )  # fmt: skip
    turns = Counter("kiloglot_turns_total", "dialogue turns by action", ["action", "locale"], registry=registry)
    parsed = Counter("kiloglot_parsed_utterances_total", "utterances parsed by /v1/parse", registry=registry)
    info = dict(model_info or {})
    info.setdefault("kind", parser.kind)
    info["locales"] = list(parser.locales)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # what loads on first use loads now: one request paying a second for it stalls all the others
        await run_in_threadpool(warm_up_segmenters, list(parser.locales))
        await run_in_threadpool(warm_up_values, list(parser.locales))
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
            config.rate_limit_per_minute, config.auth_failures_per_minute,
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
        if locale is None and (req.session_id is None or store.load_session(session_id) is None):
            locale = best_locale(request.headers.get("accept-language"), parser.locales)
        result = assistant.converse(session_id, req.text, locale, req.timezone, owner=client_of(request))
        turns.labels(result.action, result.locale).inc()
        return _json(result.to_dict())

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

    @app.get("/v1/models", summary="The model being served", responses=_errors(401, 429))
    def models_endpoint() -> dict[str, Any]:
        return {"models": [info], "reply_locales": list(REPLY_LOCALES)}

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
    return create_app(parser, config, model_info=info)
