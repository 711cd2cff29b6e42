"""Writing files so that a crash or an error never leaves a half-written one in place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def usual_mode(directory: bool = False) -> int:
    """The permissions ``open``/``mkdir`` would give under the current umask. Temporary files and
    folders are created private (0600/0700); what replaces the final path gets these instead, so
    that a model written by one user can be served by another."""
    return (0o777 if directory else 0o666) & ~_umask()


def atomic_write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """``writer(tmp)`` writes a sibling temporary file, which then replaces ``path`` in one rename.

    On any error the temporary file is removed and ``path`` keeps its previous content (or stays absent).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        os.chmod(tmp, usual_mode())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """UTF-8 text, written atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
