"""Nothing is left behind: pool workers die with a killed `kiloglot train`; a later save removes the
half-written folders a killed run left (and puts back a model caught between its two renames); another
process's work in progress is never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiloglot.fileio import new_sibling, sweep_stale, write_text_atomic
from kiloglot.nlu.artifact import atomic_directory


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_save_removes_what_a_killed_run_left_and_nothing_else(tmp_path):
    final = tmp_path / "model"
    stale = tmp_path / f".model.{dead_pid()}-0123456789ab.tmp"
    stale.mkdir()
    (stale / "weights.bin").write_bytes(b"half")
    running = new_sibling(final, ".tmp", directory=True)  # this process: alive, its work in progress
    other = tmp_path / f".other.{dead_pid()}-0123456789ab.tmp"  # a leftover of another path
    other.mkdir()
    with atomic_directory(final) as tmp:
        (tmp / "manifest.json").write_text("{}")
    assert final.is_dir() and not stale.exists()
    assert running.exists() and other.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".model.")] == [running.name]


def test_a_model_caught_between_its_two_renames_is_put_back(tmp_path):
    final = tmp_path / "model"
    old = tmp_path / f".model.{dead_pid()}-0123456789ab.old"
    (old / "model").mkdir(parents=True)
    (old / "model" / "manifest.json").write_text('{"kind": "linear"}')
    assert sweep_stale(final) == [old]
    assert (final / "manifest.json").read_text() == '{"kind": "linear"}' and not old.exists()


def test_atomic_files_sweep_too(tmp_path):
    target = tmp_path / "report.json"
    stale = tmp_path / f".report.json.{dead_pid()}-0123456789ab.tmp"
    stale.write_text("half")
    write_text_atomic(target, "{}")
    assert target.read_text() == "{}" and not stale.exists()


def _descendants(pid: int) -> list[int]:
    try:
        children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return children + [d for c in children for d in _descendants(c)]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_training_workers_die_with_a_killed_parent(massive_path, tmp_path):
    cmd = [sys.executable, "-m", "kiloglot", "train", "--parser", "linear", "--locales", "de-DE,fr-FR",
           "--data", str(massive_path), "--out", str(tmp_path / "m"), "-o", "jobs=2"]  # fmt: skip
    train = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 120
        workers: list[int] = []
        while len(workers) < 2:  # the pool (and its resource tracker) under the training process
            assert train.poll() is None and time.time() < deadline, "training ended before its workers started"
            workers = [c for c in _descendants(train.pid) if _running(c)]
            time.sleep(0.2)
        time.sleep(1.0)  # the workers are computing
        os.kill(train.pid, signal.SIGKILL)
        train.wait()
        deadline = time.time() + 10
        while any(_running(w) for w in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_running(w) for w in workers), "pool workers outlived the killed training"
    finally:
        try:
            os.killpg(train.pid, signal.SIGKILL)  # whatever is left of the session
        except ProcessLookupError:
            pass
