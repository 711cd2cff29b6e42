"""``kiloglot serve``: the HTTP API and the chat page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import DbOpt, TzOpt, err, friendly, settings


def speech_backend(choice: str, what: str) -> str | None:
    """'auto': what is installed (the packaged Whisper; Piper and/or espeak-ng), else None; 'none': None; else
    the choice."""
    from importlib.util import find_spec

    if choice == "none":
        return None
    if choice != "auto":
        return choice
    if what == "asr":
        from kiloglot.speech.packaged import installed

        ready = find_spec("faster_whisper") is not None and installed()
        return f"packaged:{installed()[0].name}" if ready else None
    return "best" if find_spec("espeakng_loader") is not None or find_spec("piper") is not None else None


@friendly
def serve(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    db: DbOpt = None,
    api_key: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key",
            help="require this key (X-API-Key or Bearer) on the API; repeat for one key per client, whose "
            "sessions only it can read (default: $KILOGLOT_API_KEY, comma-separated)",
        ),
    ] = None,
    rate_limit: Annotated[int, typer.Option("--rate-limit", help="requests per minute per client; 0 = none")] = 0,
    max_body: Annotated[int, typer.Option("--max-body", help="largest request body in bytes")] = 64 * 1024,
    timezone: TzOpt = "UTC",
    workers: Annotated[
        int, typer.Option("--workers", help="server processes (each loads the model); rate limits are per process")
    ] = 1,
    log_level: Annotated[str, typer.Option("--log-level")] = "warning",
    asr: Annotated[
        str,
        typer.Option(
            "--asr",
            help="speech recognition for /v1/asr and /v1/converse/audio: 'auto' (the packaged Whisper when "
            "installed), 'none', or a Whisper model (packaged:whisper-base, base, a CTranslate2 folder)",
        ),
    ] = "auto",
    tts: Annotated[
        str,
        typer.Option(
            "--tts",
            help="speech synthesis for /v1/tts and spoken replies: 'auto' (best installed), 'none', best, piper, "
            "espeak-ng",
        ),
    ] = "auto",
    rewrites: Annotated[
        bool,
        typer.Option("--rewrites/--no-rewrites", help="apply learned rewrites before parsing (off: the kill switch)"),
    ] = True,
    near_rewrites: Annotated[
        bool, typer.Option("--near-rewrites", help="let rewrites match texts close to their source too")
    ] = False,
) -> None:
    """Serve the HTTP API (/v1/parse, /v1/converse, /v1/models, /healthz, /metrics, /docs) and the chat page (/)."""
    from sqlalchemy.engine import make_url

    from kiloglot.server import ServerConfig
    from kiloglot.server import serve as run_server

    config = ServerConfig(
        database=db or settings().database_url(),
        api_keys=tuple(k.strip() for k in (api_key or (settings().api_key or "").split(",")) if k.strip()),
        rate_limit_per_minute=rate_limit,
        max_body_bytes=max_body,
        default_timezone=timezone,
        maildir=str(settings().maildir) if settings().maildir else None,
        media=str(settings().media) if settings().media else None,
        asr=speech_backend(asr, "asr"),
        tts=speech_backend(tts, "tts"),
        rewrites=rewrites,
        near_rewrites=near_rewrites,
    )
    processes = f" with {workers} processes" if workers > 1 else ""
    state = make_url(config.database).render_as_string(hide_password=True)

    def banner() -> None:
        err.print(f"serving {model_dir} on http://{host}:{port}/{processes} (API docs: /docs; state: {state})")

    run_server(model_dir, config, host=host, port=port, workers=workers, log_level=log_level, on_bound=banner)
