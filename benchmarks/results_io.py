"""What every benchmark script writes the same way: the result header (command, date, machine), the
JSON + Markdown pair under benchmarks/results, and the run's wall time on stderr.

``BENCH_RESULTS_DIR`` sends the files elsewhere (a dry run, the smoke test), so that only real runs
land in benchmarks/results.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "benchmarks" / "results")

from kiloglot.fileio import write_text_atomic  # after the path above


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
    }


def header(benchmark: str) -> dict[str, Any]:
    """The fields every result file starts with."""
    return {
        "benchmark": benchmark,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }


def write_result(name: str, result: dict[str, Any], table: list[str] | None = None) -> None:
    """benchmarks/results/<name>.json and, given the lines of a Markdown table, <name>.md (printed
    too); each file is written atomically."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS / f"{name}.json", json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    if table is not None:
        text = "\n".join(table) + "\n"
        write_text_atomic(RESULTS / f"{name}.md", text)
        print(text)


def emit(name: str | None, result: dict[str, Any], table: list[str]) -> None:
    """``write_result`` when the run is named (``--name``), else print the table: a dry run."""
    if name:
        write_result(name, result, table)
    else:
        print("\n".join(table))


def run_timed(main: Callable[[], int]) -> None:
    started = time.perf_counter()
    code = main()
    print(f"{time.perf_counter() - started:.0f}s", file=sys.stderr)
    raise SystemExit(code)


def load_result(name: str) -> dict[str, Any] | None:
    """A committed result file by name (``benchmarks/results/<name>.json``), None when absent."""
    path = ROOT / "benchmarks" / "results" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
