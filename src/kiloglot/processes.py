"""Worker processes that die with the process that started them.

``kill -9`` of ``kiloglot train`` gives its pool workers no chance to be told; left alone they compute
for minutes. Each worker asks the Linux kernel for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``)
and watches the pool's owner from a daemon thread (other platforms; a fork server in between).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _ask_kernel() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - not ours, but there
        return True
    return True


def die_with_parent(main: int) -> None:
    """A pool initializer (``initargs=(os.getpid(),)``): end this worker when its parent process ends
    (the kernel's death signal) or when ``main``, the process that made the pool, is gone (a watching
    thread: it covers platforms without the signal and a fork server between the two)."""
    _ask_kernel()

    def watch() -> None:
        while _alive(main):
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="kiloglot-parent-watch", daemon=True).start()
