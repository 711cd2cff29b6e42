"""``kiloglot serve``: the HTTP API and the chat page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import DbOpt, TzOpt, err, friendly, settings


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
    )
    processes = f" with {workers} processes" if workers > 1 else ""
    state = make_url(config.database).render_as_string(hide_password=True)

    def banner() -> None:
        err.print(f"serving {model_dir} on http://{host}:{port}/{processes} (API docs: /docs; state: {state})")

    run_server(model_dir, config, host=host, port=port, workers=workers, log_level=log_level, on_bound=banner)
