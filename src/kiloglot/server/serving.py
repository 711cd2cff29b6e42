"""Run the HTTP server: one process, or several behind one socket (uvicorn's supervisor).

Each worker process builds its own app from the model folder and the ``ServerConfig``, which reach it
as arguments (the factory is pickled into the spawned process), not through the environment.
"""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import Callable
from pathlib import Path

from kiloglot.assistant import Store, resolve_timezone
from kiloglot.errors import InputError
from kiloglot.nlu import read_manifest
from kiloglot.server.app import ServerConfig, create_app_from_model

log = logging.getLogger(__name__)


def check(model: str | Path, config: ServerConfig, workers: int = 1) -> None:
    """Refuse now, with one clear error, what would otherwise fail in every worker: a model folder that is
    not a model, a database that cannot be reached, an unknown time zone."""
    if workers < 1:
        raise InputError(f"workers {workers}: expected 1 or more")
    read_manifest(model)
    Store(config.database).close()
    resolve_timezone(config.default_timezone)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one clear error naming the address (a port in use, a host not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    model: str | Path,
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_level: str = "warning",
    on_bound: Callable[[], None] | None = None,
) -> None:
    """Serve ``model`` until interrupted; ``workers`` processes share the port. ``on_bound`` runs once the
    port is ours (a banner printed before would announce a server that may never listen)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    check(model, config, workers)
    factory = functools.partial(create_app_from_model, str(model), config)
    server_config = uvicorn.Config(factory, factory=True, host=host, port=port, workers=workers, log_level=log_level)
    sock = bind(host, port)
    if on_bound is not None:
        on_bound()
    if workers == 1:
        uvicorn.Server(server_config).run(sockets=[sock])
        return
    Multiprocess(server_config, sockets=[sock]).run()
