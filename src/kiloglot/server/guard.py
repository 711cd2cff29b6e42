"""What every request passes before the API sees it: body limits, content type, the API key (with failed
attempts throttled), the rate limit, and request metrics labelled by route template.

A pure ASGI middleware (cheaper than Starlette's BaseHTTPMiddleware). Rejections are the same JSON errors
as everywhere else in the API.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.routing import Match, Route

from kiloglot.assistant.store import client_hash

PUBLIC_PATHS = ("/healthz", "/docs", "/openapi.json", "/static/", "/favicon.ico")
JSON_TYPES = ("application/json",)
# Routes whose body is audio (any container FFmpeg reads), with their own, larger, size limit.
AUDIO_ROUTES = ("/v1/asr", "/v1/converse/audio")
AUDIO_TYPES = ("audio/", "video/webm", "video/ogg", "application/octet-stream")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one shape of every error: ``{"error": {"code": ..., "message": ...}}``."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class RateLimiter:
    """A token bucket per client: ``per_minute`` events, refilled continuously."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed (and counted), else seconds to wait."""
        now = time.monotonic()
        with self.lock:
            if len(self.buckets) > 100_000:  # forget full buckets: they are the same as no entry
                self.buckets = {k: v for k, v in self.buckets.items() if v[0] < self.capacity}
            tokens, last = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate

    def exhausted(self, client: str) -> float:
        """Seconds until ``client`` has an event left (0: it has), without counting one."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


@dataclass
class GuardConfig:
    api_keys: tuple[str, ...]  # any of them opens the API; each client's sessions are bound to its key
    max_body_bytes: int
    rate_limit_per_minute: int
    auth_failures_per_minute: int = 10
    max_audio_bytes: int = 8 * 1024 * 1024


def api_key_of(headers: dict[bytes, bytes]) -> bytes | None:
    """The key a request presents: ``X-API-Key``, or ``Authorization: Bearer`` (scheme in any case)."""
    if headers.get(b"x-api-key"):
        return headers[b"x-api-key"].strip()
    scheme, _, token = headers.get(b"authorization", b"").strip().partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" and token.strip() else None


class Guard:
    def __init__(
        self,
        app: Any,
        *,
        config: GuardConfig,
        routes: Callable[[], list[Any]],
        requests: Counter,
        latency: Histogram,
    ) -> None:
        self.app, self.config = app, config
        self.routes = routes  # the app's routes, read once they exist
        self.requests, self.latency = requests, latency
        self.limiter = RateLimiter(config.rate_limit_per_minute) if config.rate_limit_per_minute > 0 else None
        self.failures = RateLimiter(config.auth_failures_per_minute)
        self.keys = [k.encode("utf-8") for k in config.api_keys if k]

    def route_of(self, scope: MutableMapping[str, Any]) -> tuple[str, bool]:
        """The route template a path matches (``/v1/sessions/{session_id}/events``), else ``other`` (unknown
        paths make no new metric series), and whether the route takes the request's method."""
        for route in self.routes():  # PARTIAL: the path matches, the method does not (a 405): still its route
            if isinstance(route, Route):
                match = route.matches(scope)[0]
                if match != Match.NONE:
                    return route.path, match == Match.FULL
        return "other", False

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, takes_method = self.route_of(scope)
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
            self.check(scope, takes_method, route)
            limit = self.limit_of(route)
            seen = [0]

            async def limited_receive() -> dict[str, Any]:
                message: dict[str, Any] = await receive()
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
            await error_response(exc.status, exc.code, exc.message, exc.headers)(scope, receive, send_status)
        finally:
            self.requests.labels(route, str(status[0])).inc()
            self.latency.labels(route).observe(time.perf_counter() - started)

    def limit_of(self, route: str) -> int:
        return self.config.max_audio_bytes if route in AUDIO_ROUTES else self.config.max_body_bytes

    def check(self, scope: MutableMapping[str, Any], takes_method: bool, route: str = "other") -> None:
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        limit = self.limit_of(route)
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise ApiError(413, "payload_too_large", f"request body over {limit} bytes")
        path: str = scope["path"]
        if takes_method and scope["method"] in ("POST", "PUT", "PATCH") and path.startswith("/v1/"):
            media = headers.get(b"content-type", b"").split(b";")[0].strip().decode("latin-1").lower()
            if route in AUDIO_ROUTES:
                if not media.startswith(AUDIO_TYPES):
                    raise ApiError(
                        415, "unsupported_media_type",
                        f"content type {media or 'none'!r}: expected audio (audio/wav, audio/webm, audio/ogg, ...)",
                    )  # fmt: skip
            elif media not in JSON_TYPES:
                raise ApiError(
                    415, "unsupported_media_type", f"content type {media or 'none'!r}: expected application/json"
                )
        public = path == "/" or any(path.startswith(p) for p in PUBLIC_PATHS)
        address = scope["client"][0] if scope.get("client") else "unknown"
        client = "address:" + address
        if self.keys and not public:
            wait = self.failures.exhausted(address)
            if wait:
                raise ApiError(429, "rate_limited", "too many failed API keys from this client",
                               {"Retry-After": str(max(1, round(wait)))})  # fmt: skip
            given = api_key_of(headers)
            # compare bytes: a key need not be ASCII; every key is compared, so timing tells nothing
            if given is None or not sum(secrets.compare_digest(given, key) for key in self.keys):
                if given is not None:  # a wrong guess counts; a request without a key guesses nothing
                    self.failures.take(address)
                raise ApiError(
                    401, "unauthorized", "missing or wrong API key (send X-API-Key or Authorization: Bearer)",
                    {"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
            client = "key:" + client_hash(given.decode("utf-8", "replace"))
            scope.setdefault("state", {})["client"] = client_hash(given.decode("utf-8", "replace"))
        if self.limiter and not public:
            wait = self.limiter.take(client)
            if wait:
                raise ApiError(
                    429, "rate_limited", f"over {self.config.rate_limit_per_minute} requests per minute",
                    {"Retry-After": str(max(1, round(wait)))},
                )  # fmt: skip
