"""Writing files so that a crash or an error never leaves a half-written one in place."""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


# What new_sibling makes: ".<name>.<pid>-<12 hex>.<tmp|old>", so that a later run can tell its own leftovers
# (the writing process is gone) from another process's work in progress.
_OURS = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{12}\.(?P<kind>tmp|old)$")


def new_sibling(path: Path, suffix: str, *, directory: bool = False) -> Path:
    """A new, uniquely named hidden sibling of ``path``, created with the modes ``open``/``mkdir``
    give under the umask (``tempfile`` would make it 0600/0700, and it becomes the final file or
    model folder, which another account, e.g. a server's, must be able to read)."""
    for _ in range(100):
        candidate = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}{suffix}"
        try:
            if directory:
                os.mkdir(candidate, 0o777)
            else:
                os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process: alive
        return True
    return True


def sweep_stale(path: Path) -> list[Path]:
    """Remove the temporary siblings of ``path`` that a killed run left (a ``.tmp`` half-written file or
    folder whose process is gone); a ``.old`` copy of a model caught between its two renames is put back
    when ``path`` is missing, else removed. Returns what was removed or restored."""
    swept: list[Path] = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return swept
    for sibling in siblings:
        m = _OURS.match(sibling.name)
        if not m or m["name"] != path.name or _alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and not path.exists() and (sibling / "model").exists():
            os.replace(sibling / "model", path)
            log.warning("restored %s from %s, left by a run that was killed", path, sibling.name)
        else:
            log.info("removing %s, left by a run that was killed", sibling)
        if sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)
        else:
            sibling.unlink(missing_ok=True)
        swept.append(sibling)
    return swept


def atomic_write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """``writer(tmp)`` writes a sibling temporary file, which then replaces ``path`` in one rename.

    On any error the temporary file is removed and ``path`` keeps its previous content (or stays absent).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path)
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
    """Every line of a UTF-8 text file (``-``: standard input), blank ones included so that output can
    line up with input; a byte-order mark is dropped, CRLF read as LF. Bad bytes are an InputError
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
        text = raw.decode("utf-8-sig")  # a BOM would shift every offset of the first line by one
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"input {path} is not valid UTF-8 (line {line}, byte {exc.start}): expected UTF-8 text"
        ) from None
    lines = [ln.removesuffix("\r") for ln in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines
