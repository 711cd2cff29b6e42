"""Turning a model saved now into one as an earlier kiloglot wrote it (artifact format 1), to test that
old models still load through the upgrade path."""

from __future__ import annotations

import json
from pathlib import Path


def as_format_1(model: Path, drop_options: tuple[str, ...] = ()) -> None:
    """Rewrite ``model``'s manifest as format 1 did: no storage declaration, no ``runtime`` for python
    kinds, one flat ``options`` dict (``drop_options``: keys that did not exist yet)."""
    path = model / "manifest.json"
    m = json.loads(path.read_text(encoding="utf-8"))
    m["format_version"] = 1
    options = {**m.get("options", {}), **m.pop("training", {})}
    for key in drop_options:
        options.pop(key, None)
    m["options"] = options
    m.pop("storage", None)
    if m.get("runtime") == "python":
        del m["runtime"]
    path.write_text(json.dumps(m), encoding="utf-8")
