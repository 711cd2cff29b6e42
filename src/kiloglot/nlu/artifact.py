"""Model artifacts: a directory with ``manifest.json`` plus weights in safe formats.

Nothing is ever unpickled: weights are ``.npy`` / ``.npz`` (loaded with ``allow_pickle=False``),
safetensors, JSON, or python-crfsuite's own binary model format (JSON and CRF possibly gzipped). Saving writes a sibling temporary directory and renames
it into place, so a crash never leaves a half-written model where a good one was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiloglot import __version__
from kiloglot.data.example import Example
from kiloglot.errors import ModelError
from kiloglot.fileio import new_sibling

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def fingerprint(examples: Iterable[Example]) -> str:
    """A stable hash of the training data (ids, locales, texts, intents, labels)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.locale}\t{ex.id}\t{ex.text}\t{ex.intent}\t{' '.join(ex.word_labels)}\n".encode())
    return "sha256:" + h.hexdigest()


def build_manifest(
    kind: str,
    locales: list[str],
    intents: list[str],
    slots: list[str],
    *,
    data_fingerprint: str,
    options: dict[str, Any],
    metrics: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "library": "kiloglot",
        "library_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "locales": locales,
        "intents": intents,
        "slots": slots,
        "training_data": data_fingerprint,
        "options": options,
        "metrics": metrics or {},
        **(extra or {}),
    }


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces ``path`` in one rename."""
    final = Path(path).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_sibling(final, ".tmp", directory=True)
    try:
        yield tmp
        if final.exists():
            if not (final / MANIFEST).is_file() and any(final.iterdir()):
                raise ModelError(f"{final} exists and is not a kiloglot model: refusing to overwrite it")
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, old / "model")
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def read_manifest(path: str | Path) -> dict[str, Any]:
    root = Path(path)
    if not root.exists():
        raise ModelError(f"model directory {root} does not exist")
    if not root.is_dir():
        raise ModelError(f"{root} is not a directory: expected a model directory with manifest.json")
    mf = root / MANIFEST
    if not mf.is_file():
        raise ModelError(f"{root} has no manifest.json: not a kiloglot model directory")
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{mf} is corrupt: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("library") != "kiloglot" or "kind" not in manifest:
        raise ModelError(f"{mf} is not a kiloglot manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{root}: artifact format {manifest.get('format_version')!r}, this kiloglot reads format {FORMAT_VERSION}"
        )
    return manifest


def load(path: str | Path) -> Any:
    """Load any saved parser: the manifest names its kind."""
    from kiloglot.nlu import registry

    manifest = read_manifest(path)
    runtime = manifest.get("runtime")
    if runtime == "onnx":  # the manifest picks the runtime: an exported model needs onnxruntime, not PyTorch
        try:
            from kiloglot.nlu.neural.onnx_runtime import OnnxNeuralParser
        except ImportError as exc:
            raise ModelError(
                f"{path} is an ONNX model and needs onnxruntime ({exc}): pip install 'kiloglot[onnx]'"
            ) from None
        return OnnxNeuralParser.from_artifact(Path(path), manifest)
    if runtime not in (None, "pytorch", "python"):
        raise ModelError(f"{path}: unknown runtime {runtime!r} in manifest.json (expected pytorch or onnx)")
    cls = registry.get(manifest["kind"])
    return cls.from_artifact(Path(path), manifest)


def require_files(root: Path, names: Iterable[str]) -> None:
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        raise ModelError(f"model directory {root} is incomplete: missing {', '.join(missing)}")
