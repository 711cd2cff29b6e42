"""The HTTP API and the web page (FastAPI).

- ``POST /v1/parse``: stateless, batched parsing;
- ``POST /v1/converse``: one dialogue turn (session id in; reply, parse and state out);
- ``GET /v1/models``, ``/healthz``, ``/metrics`` (Prometheus), ``/docs`` (OpenAPI);
- ``/``: the chat page.

Errors are JSON ``{"error": {"code": ..., "message": ...}}`` with stable codes: ``invalid_input``,
``unauthorized``, ``payload_too_large``, ``rate_limited``, ``not_found``, ``internal``.
"""

from __future__ import annotations

import gc
import json
import secrets
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiloglot.assistant import Assistant, ConfidencePolicy, Providers, Store
from kiloglot.assistant.nlg import REPLY_LOCALES
from kiloglot.errors import InputError, KiloglotError
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.parse import Parse

PUBLIC_PATHS = ("/healthz", "/docs", "/openapi.json", "/static/", "/favicon.ico")


@dataclass
class ServerConfig:
    database: str = "sqlite:///assistant.db"
    api_key: str | None = None
    max_body_bytes: int = 64 * 1024
    max_batch: int = 256
    rate_limit_per_minute: int = 0  # 0: no limit; else requests per client (API key or address) per minute
    default_timezone: str = "UTC"
    policy: ConfidencePolicy = field(default_factory=ConfidencePolicy)
    maildir: str | None = None  # offline providers (Providers.offline)
    media: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _json(payload: dict[str, Any]) -> Response:
    """Plain JSON: our payloads are JSON types already, so FastAPI's generic encoder pass is skipped."""
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), media_type="application/json"
    )


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class ParseRequest(BaseModel):
    texts: list[str] = Field(..., description="utterances, parsed as one batch", min_length=1)
    locale: str = Field(..., examples=["en-US"])


class ConverseRequest(BaseModel):
    text: str = Field(..., examples=["wake me up at seven tomorrow"])
    locale: str | None = Field(None, description="required on a session's first turn", examples=["en-US"])
    session_id: str | None = Field(None, description="omit to start a new session")
    timezone: str | None = Field(None, description="IANA time zone, e.g. Europe/Berlin")


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


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed, else seconds to wait."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


class Guard:
    """Pure ASGI middleware (cheaper than Starlette's BaseHTTPMiddleware): body-size limit, API key,
    rate limit, and request metrics. Rejections are the same JSON errors as everywhere else."""

    def __init__(
        self, app: Any, *, config: ServerConfig, limiter: RateLimiter | None, requests: Counter, latency: Histogram
    ) -> None:
        self.app, self.config, self.limiter = app, config, limiter
        self.requests, self.latency = requests, latency

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        route = path if path.startswith("/v1/") or path in ("/healthz", "/metrics", "/") else "other"
        started = time.perf_counter()
        status = [500]
        too_big = [False]

        async def send_status(message: MutableMapping[str, Any]) -> None:
            if too_big[0]:
                return  # the app's reply to a cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            self.check(scope, path)
            limit = self.config.max_body_bytes
            seen = [0]

            async def limited_receive() -> dict[str, Any]:
                message = await receive()
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:  # bodies sent without a (truthful) content-length
                    too_big[0] = True
                    raise ApiError(413, "payload_too_large", f"request body over {limit} bytes")
                return message

            await self.app(scope, limited_receive, send_status)
            if too_big[0]:
                too_big[0] = False
                raise ApiError(413, "payload_too_large", f"request body over {limit} bytes")
        except ApiError as exc:
            too_big[0] = False
            await _error(exc.status, exc.code, exc.message, exc.headers)(scope, receive, send_status)
        finally:
            self.requests.labels(route, str(status[0])).inc()
            self.latency.labels(route).observe(time.perf_counter() - started)

    def check(self, scope: dict[str, Any], path: str) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        limit = self.config.max_body_bytes
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise ApiError(413, "payload_too_large", f"request body over {limit} bytes")
        public = path == "/" or any(path.startswith(p) for p in PUBLIC_PATHS)
        client = scope["client"][0] if scope.get("client") else "unknown"
        if self.config.api_key and not public:
            given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not given or not secrets.compare_digest(given, self.config.api_key):
                raise ApiError(
                    401,
                    "unauthorized",
                    "missing or wrong API key (send X-API-Key or Authorization: Bearer)",
                    {"WWW-Authenticate": "Bearer"},
                )
            client = "key:" + given[:8]
        if self.limiter and not public:
            wait = self.limiter.take(client)
            if wait:
                raise ApiError(
                    429,
                    "rate_limited",
                    f"over {self.config.rate_limit_per_minute} requests per minute",
                    {"Retry-After": str(max(1, round(wait)))},
                )


def create_app(
    parser: Parser,
    config: ServerConfig | None = None,
    *,
    model_info: dict[str, Any] | None = None,
    providers: Providers | None = None,
    store: Store | None = None,
    clock: Any = None,
) -> FastAPI:
    config = config or ServerConfig()
    locked = LockedParser(parser)
    store = store or Store(config.database)
    assistant = Assistant(
        locked,
        store,
        policy=config.policy,
        providers=providers or Providers.offline(config.maildir, config.media),
        default_timezone=config.default_timezone,
        clock=clock,
    )
    limiter = RateLimiter(config.rate_limit_per_minute) if config.rate_limit_per_minute > 0 else None
    session_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
    registry = CollectorRegistry()
    requests = Counter("kiloglot_requests_total", "HTTP requests", ["path", "status"], registry=registry)
    latency = Histogram(
        "kiloglot_request_seconds",
        "HTTP request latency",
        ["path"],
        registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    )
    turns = Counter("kiloglot_turns_total", "dialogue turns by action", ["action", "locale"], registry=registry)
    parsed = Counter("kiloglot_parsed_utterances_total", "utterances parsed by /v1/parse", registry=registry)
    info = dict(model_info or {})
    info.setdefault("kind", parser.kind)
    info["locales"] = list(parser.locales)

    app = FastAPI(
        title="kiloglot",
        version=_version(),
        description="Multilingual intent and slot parsing, dialogue, and replies in the user's language.",
    )
    app.state.assistant = assistant
    app.state.config = config

    app.add_middleware(Guard, config=config, limiter=limiter, requests=requests, latency=latency)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(KiloglotError)
    async def kiloglot_error(_: Request, exc: KiloglotError) -> JSONResponse:
        return _error(400, "invalid_input", str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error(422, "invalid_input", f"{where or 'body'}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - last resort
        return _error(500, "internal", f"internal error ({type(exc).__name__})")

    # async: parsing is CPU-bound and sub-millisecond for the linear parser, so it runs on the event loop
    # rather than paying a thread hand-off; converse stays in the thread pool (it waits on the database).
    @app.post("/v1/parse", summary="Parse a batch of utterances (stateless)")
    async def parse_endpoint(req: ParseRequest) -> Response:
        if len(req.texts) > config.max_batch:
            raise ApiError(413, "payload_too_large", f"{len(req.texts)} texts, at most {config.max_batch} per call")
        if any(not isinstance(t, str) or not t.strip() for t in req.texts):
            raise InputError("texts: every text must be a non-empty string")
        locked.check_request(req.texts, req.locale)
        parses = locked.parse(req.texts, req.locale)
        parsed.inc(len(parses))
        return _json({"locale": req.locale, "parses": [p.to_dict() for p in parses]})

    @app.post("/v1/converse", summary="One dialogue turn")
    def converse_endpoint(req: ConverseRequest) -> Response:
        session_id = req.session_id or uuid.uuid4().hex
        with session_locks[session_id]:
            result = assistant.converse(session_id, req.text, req.locale, req.timezone)
        turns.labels(result.action, result.locale).inc()
        return _json(result.to_dict())

    @app.get("/v1/models", summary="The model being served")
    def models_endpoint() -> dict[str, Any]:
        return {"models": [info], "reply_locales": list(REPLY_LOCALES)}

    @app.get("/healthz", summary="Liveness and readiness")
    def healthz() -> dict[str, Any]:
        try:
            store.count_turns()
            db = "ok"
        except Exception as exc:
            db = f"error: {type(exc).__name__}"
        return {
            "status": "ok" if db == "ok" else "degraded",
            "model": info.get("kind"),
            "locales": len(info["locales"]),
            "database": db,
        }

    @app.get("/metrics", summary="Prometheus metrics")
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

    return app


def _version() -> str:
    from kiloglot import __version__

    return __version__


def create_app_from_model(model: str | Path, config: ServerConfig | None = None) -> FastAPI:
    from kiloglot.nlu import load, read_manifest

    manifest = read_manifest(model)
    parser = load(model)
    info = {
        "path": str(model),
        "kind": manifest.get("kind"),
        "intents": len(manifest.get("intents", [])),
        "slots": len(manifest.get("slots", [])),
        "created": manifest.get("created"),
        "metrics": manifest.get("metrics"),
    }
    return create_app(parser, config, model_info=info)
