"""``python -m benchmarks NAME [ARGS]``: the one entry point of the benchmark scripts."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELPERS = {"__init__", "__main__", "results_io"}


def scripts() -> dict[str, Path]:
    return {p.stem: p for p in sorted(HERE.glob("*.py")) if p.stem not in HELPERS}


def describe(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").split('"""')
    return lines[1].strip().splitlines()[0] if len(lines) > 1 else ""


def main() -> int:
    found = scripts()
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help", "list"):
        print("usage: python -m benchmarks NAME [ARGS]   (NAME --help for its arguments)\n")
        for name, path in found.items():
            print(f"  {name:22} {describe(path)}")
        return 0
    name = sys.argv[1]
    if name not in found:
        print(f"unknown benchmark {name!r}: expected one of {', '.join(found)}", file=sys.stderr)
        return 2
    sys.argv = [str(found[name]), *sys.argv[2:]]
    sys.path.insert(0, str(HERE))  # the scripts import results_io as a sibling
    runpy.run_path(str(found[name]), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
