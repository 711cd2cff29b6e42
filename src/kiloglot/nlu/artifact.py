"""Model artifacts: a directory with ``manifest.json`` plus weights in safe formats, written by one writer.

Nothing is ever unpickled: weights are ``.npz`` (loaded with ``allow_pickle=False``), safetensors,
ONNX, JSON, or python-crfsuite's own binary model format. ``write_artifact`` is the one way a model
directory is written: files go into a sibling temporary directory, the manifest last, and the
directory is renamed into place, so a crash never leaves a half-written model where a good one was.

File names are the constants below (after Hugging Face's named constants). The manifest's
``format_version`` changes whenever a layout changes; a manifest of an older version is brought up
to date by the explicit steps in ``UPGRADES`` when it is read (``kiloglot upgrade`` rewrites the
directory in the current format), so readers handle the current layout only.

Format 2 (this version): every manifest names its ``runtime``; model options (``options``) are apart
from the training run's (``training``); a linear model declares how its weights are stored
(``storage``). Format 1: no ``runtime`` for python kinds, one flat ``options`` dict, and linear
storage told apart by which files exist.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NotRequired, Required, TypedDict

from kiloglot import __version__
from kiloglot.data.example import Example
from kiloglot.errors import ModelError
from kiloglot.fileio import new_sibling, sweep_stale

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
LIBRARY = "kiloglot"

# File names inside an artifact directory.
MANIFEST_FILE = "manifest.json"
CONFIG_FILE = "config.json"  # neural: options, labels, encoder
WEIGHTS_FILE = "model.safetensors"  # neural (PyTorch)
ONNX_FILE = "model.onnx"  # neural (onnxruntime)
TOKENIZER_FILE = "tokenizer.json"  # a scratch or exported tokenizer
TOKENIZER_DIR = "tokenizer"  # a Hugging Face tokenizer folder
ENCODER_CONFIG_DIR = "encoder"  # a Hugging Face encoder's config.json
LOCALES_DIR = "locales"  # linear: one folder per locale
MEMBERS_DIR = "members"  # ensemble: one folder per member


class Manifest(TypedDict, total=False):
    """``manifest.json``: what the directory holds and how it was made."""

    format_version: Required[int]
    library: Required[str]
    library_version: str
    created: str
    kind: Required[str]
    runtime: Required[str]
    locales: Required[list[str]]
    intents: Required[list[str]]
    slots: Required[list[str]]
    training_data: str  # sha256 of the training examples
    options: dict[str, Any]  # the model's options
    training: dict[str, Any]  # the training run's options
    metrics: dict[str, Any]  # dev scores at save time
    # kind-specific
    storage: NotRequired[dict[str, str]]  # linear: {"intent": "dense" | "sparse-int8" | ..., "slots": ...}
    files: NotRequired[dict[str, list[str]]]
    train_seconds: NotRequired[dict[str, float]]
    encoder: NotRequired[str]  # neural
    parameters: NotRequired[int]
    epochs: NotRequired[list[dict[str, Any]]]
    distillation: NotRequired[dict[str, Any]]
    quantization: NotRequired[str | None]  # neural, onnx
    exported_from: NotRequired[str]
    members: NotRequired[list[str]]  # ensemble
    member_kinds: NotRequired[list[str]]


def fingerprint(examples: Iterable[Example]) -> str:
    """A stable hash of the training data (ids, locales, texts, intents, labels)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.locale}\t{ex.id}\t{ex.text}\t{ex.intent}\t{' '.join(ex.word_labels)}\n".encode())
    return "sha256:" + h.hexdigest()


def new_manifest(
    kind: str,
    runtime: str,
    locales: list[str],
    intents: list[str],
    slots: list[str],
    *,
    data_fingerprint: str = "",
    options: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    **extra: Any,
) -> Manifest:
    manifest: Manifest = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "runtime": runtime,
        "library": LIBRARY,
        "library_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "locales": list(locales),
        "intents": list(intents),
        "slots": list(slots),
        "training_data": data_fingerprint,
        "options": dict(options or {}),
        "training": dict(training or {}),
        "metrics": dict(metrics or {}),
    }
    manifest.update(extra)  # type: ignore[typeddict-item]
    return manifest


@contextmanager
def write_artifact(path: str | Path, manifest: Manifest | Callable[[], Manifest]) -> Iterator[Path]:
    """Yield a temporary sibling directory to fill; on success ``manifest.json`` is written into it
    (last) and the directory replaces ``path`` in one rename. ``manifest`` may be a function, called
    once the files are written (for figures that depend on them). An existing directory that is not a
    kiloglot artifact is never replaced."""
    with atomic_directory(path) as tmp:
        yield tmp
        write_json(tmp / MANIFEST_FILE, manifest() if callable(manifest) else manifest)


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling directory; on success it replaces ``path`` in one rename."""
    final = Path(path).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(final)
    tmp = new_sibling(final, ".tmp", directory=True)
    try:
        yield tmp
        if final.exists():
            if not (final / MANIFEST_FILE).is_file() and any(final.iterdir()):
                raise ModelError(f"{final} exists and is not a kiloglot model: refusing to overwrite it")
            old = new_sibling(final, ".old", directory=True)
            os.replace(final, old / "model")
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def link_tree(src: Path, dst: Path) -> None:
    """Copy a folder by hard links (no extra disk), falling back to copies across file systems."""

    def link(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, copy_function=link)


def write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def read_json(path: Path) -> Any:
    """A JSON file of an artifact; a corrupt one is a ModelError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is corrupt: {exc}") from None


def read_manifest(path: str | Path) -> Manifest:
    """The manifest of a model directory, brought up to the current format version."""
    root = Path(path)
    if not root.exists():
        raise ModelError(f"model directory {root} does not exist")
    if not root.is_dir():
        raise ModelError(f"{root} is not a directory: expected a model directory with {MANIFEST_FILE}")
    mf = root / MANIFEST_FILE
    if not mf.is_file():
        raise ModelError(f"{root} has no {MANIFEST_FILE}: not a kiloglot model directory")
    raw = read_json(mf)
    if not isinstance(raw, dict) or raw.get("library") != LIBRARY or "kind" not in raw:
        raise ModelError(f"{mf} is not a kiloglot manifest")
    version = raw.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelError(f"{root}: artifact format {version!r}, this kiloglot reads formats 1 to {FORMAT_VERSION}")
    for missing in ("locales", "intents", "slots"):
        if not isinstance(raw.get(missing), list):
            raise ModelError(f"{mf} has no list of {missing}: expected a kiloglot manifest")
    while raw["format_version"] < FORMAT_VERSION:
        step = UPGRADES[raw["format_version"]]
        raw = step(root, raw)
        raw["format_version"] += 1
        log.debug("%s: upgraded the manifest to format %d in memory", root, raw["format_version"])
    return raw  # a dict checked above; typed as the Manifest it now is


def require_files(root: Path, names: Iterable[str]) -> None:
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        raise ModelError(f"model directory {root} is incomplete: missing {', '.join(missing)}")


# -- upgrades -------------------------------------------------------------------------------------
# Format 1 -> 2, one step per kind; each returns the manifest as format 2 describes it (the
# directory's files are read as they are; `kiloglot upgrade` rewrites them).
def _neural_options_split(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    training_keys = {
        "epochs", "batch_size", "learning_rate", "weight_decay", "warmup", "patience", "seed",
        "freeze_embeddings", "freeze_layers",
    }  # fmt: skip
    runtime_keys = {"checkpoint_dir", "device", "eval_batch_size"}
    model = {k: v for k, v in options.items() if k not in training_keys | runtime_keys}
    model.setdefault("slot_decoder", "softmax")  # saved before the CRF decoder existed
    model.setdefault("word_alignment", "first")  # ... and before ja/zh were read as running text
    return model, {k: v for k, v in options.items() if k in training_keys}


def _linear_storage_v1(root: Path, locales: list[str], options: dict[str, Any]) -> dict[str, str]:
    """How a format-1 linear model stored its weights: the one place where files are sniffed."""
    if not locales:
        return {"intent": "dense-xz", "slots": "crfsuite"}
    d = root / LOCALES_DIR / locales[0]
    if (d / "intent_vocab.json").is_file():
        return {"intent": "v1-uncompressed", "slots": "v1-crfsuite"}
    vocab = "gzip" if (d / "intent_vocab.json.gz").is_file() and not (d / "intent_vocab.json.xz").is_file() else "xz"
    return {"intent": f"v1-{vocab}", "slots": "compact-int8" if options.get("compact_slots") else "crfsuite"}


def _upgrade_1_to_2(root: Path, m: dict[str, Any]) -> dict[str, Any]:
    m = dict(m)
    kind, runtime = m["kind"], m.get("runtime")
    options = dict(m.get("options") or {})
    if kind == "linear":
        m["runtime"] = "python"
        m["storage"] = _linear_storage_v1(root, list(m["locales"]), options)
        m.setdefault("training", {})
    elif kind == "neural":
        m["options"], m["training"] = _neural_options_split(options)
        m["runtime"] = runtime or "pytorch"
    else:
        m["runtime"] = runtime or "python"
        m.setdefault("training", {})
    return m


UPGRADES: dict[int, Callable[[Path, dict[str, Any]], dict[str, Any]]] = {1: _upgrade_1_to_2}
