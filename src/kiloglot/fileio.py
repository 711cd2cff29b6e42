"""Writing files so that a crash or an error never leaves a half-written one in place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def new_sibling(path: Path, suffix: str, *, directory: bool = False) -> Path:
    """A new, uniquely named hidden sibling of ``path``, created with the modes ``open``/``mkdir``
    give under the umask (``tempfile`` would make it 0600/0700, and it becomes the final file or
    model folder, which another account, e.g. a server's, must be able to read)."""
    for _ in range(100):
        candidate = path.parent / f".{path.name}.{secrets.token_hex(6)}{suffix}"
        try:
            if directory:
                os.mkdir(candidate, 0o777)
            else:
                os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """``writer(tmp)`` writes a sibling temporary file, which then replaces ``path`` in one rename.

    On any error the temporary file is removed and ``path`` keeps its previous content (or stays absent).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_sibling(path, ".tmp")
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """UTF-8 text, written atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_lines(path: str | Path) -> list[str]:
    """The non-blank lines of a UTF-8 text file (``-``: standard input); bad bytes are an InputError
    naming the line."""
    import sys

    from kiloglot.errors import InputError

    if str(path) == "-":
        raw = sys.stdin.buffer.read()
    else:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"input file {path} does not exist")
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"input {path} is not valid UTF-8 (line {line}, byte {exc.start}): expected UTF-8 text"
        ) from None
    return [ln for ln in text.splitlines() if ln.strip()]
