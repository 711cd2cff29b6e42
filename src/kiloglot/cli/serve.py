"""`kiloglot serve`: the HTTP API and the chat page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import DbOpt, TzOpt, _database, err, friendly
from kiloglot.errors import InputError


@friendly
def serve(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    db: DbOpt = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="KILOGLOT_API_KEY", help="require this key (X-API-Key or Bearer) on the API"),
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
    import os

    import uvicorn

    from kiloglot.nlu import read_manifest
    from kiloglot.server import ServerConfig, create_app_from_model

    if workers < 1:
        raise InputError(f"--workers {workers}: expected 1 or more")
    # clear errors now, not a traceback in every worker: the model, the database, the time zone
    from kiloglot.assistant import Store
    from kiloglot.assistant.dialogue import Assistant

    read_manifest(model_dir)
    Store(_database(db)).close()
    Assistant._zone(timezone)
    config = ServerConfig(
        database=_database(db),
        api_key=api_key,
        rate_limit_per_minute=rate_limit,
        max_body_bytes=max_body,
        default_timezone=timezone,
    )
    if workers == 1:
        application = create_app_from_model(model_dir, config)
        err.print(
            f"serving {model_dir} on http://{host}:{port}/ (API docs: /docs; state: "
            f"{application.state.assistant.store.describe()})"
        )
        uvicorn.run(application, host=host, port=port, log_level=log_level)
        return
    os.environ["KILOGLOT_SERVE_CONFIG"] = json.dumps(
        {
            "model": str(model_dir),
            "database": config.database,
            "rate_limit_per_minute": rate_limit,
            "max_body_bytes": max_body,
            "default_timezone": timezone,
        }
    )
    if api_key:
        os.environ["KILOGLOT_API_KEY"] = api_key
    err.print(f"serving {model_dir} on http://{host}:{port}/ with {workers} processes")
    uvicorn.run(
        "kiloglot.server.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
