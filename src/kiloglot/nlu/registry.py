"""Parser kinds by (kind, runtime), after spaCy's registry: ``create("linear", **options)``, ``load(path)``.

A kind is trained in one runtime (``linear``: python, ``neural``: pytorch) and may be served in others
(``neural`` exported to ``onnx``). Built-in kinds are imported only when asked for, so a process
serving a linear or ONNX model never imports PyTorch (~200 MB of resident memory). Other packages add
kinds through the entry-point group ``kiloglot.parsers``: the entry's name is ``kind`` or
``kind:runtime`` and its value ``module:Class``, a ``Parser`` subclass with a ``from_artifact``
class method (and, to be trainable, a ``TrainableParser``).

``load(path)`` reads the manifest, looks up (kind, runtime) and builds; nothing else.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, cast

from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import Manifest, read_manifest
from kiloglot.nlu.contract import Parser, TrainableParser

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kiloglot.parsers"
Key = tuple[str, str]


class ArtifactKind(Protocol):
    """What the registry needs of a class: build a parser from a saved directory."""

    kind: str
    runtime: str

    @classmethod
    def from_artifact(cls, path: Path, manifest: Manifest) -> Parser: ...


@dataclass(frozen=True)
class Entry:
    kind: str
    runtime: str
    target: str  # "module:Class"
    extra: str = ""  # the pip extra its imports need


_BUILTIN = (
    Entry("linear", "python", "kiloglot.nlu.linear.parser:LinearParser"),
    Entry("neural", "pytorch", "kiloglot.nlu.neural.parser:NeuralParser", "neural"),
    Entry("neural", "onnx", "kiloglot.nlu.neural.onnx_runtime:OnnxNeuralParser", "onnx"),
    Entry("ensemble", "python", "kiloglot.nlu.ensemble:EnsembleParser"),
    # a refit answering only what self-learning taught it, the original model the rest
    Entry("scoped", "python", "kiloglot.learn.selflearn.scope:ScopedParser"),
)
_entries: dict[Key, Entry] = {(e.kind, e.runtime): e for e in _BUILTIN}
_classes: dict[Key, type[Parser]] = {}
_plugins_read = False


def register(kind: str, runtime: str = "python") -> Any:
    """Class decorator for kinds defined in code (tests, notebooks): ``@register("mine")``."""

    def decorate(cls: type[Parser]) -> type[Parser]:
        cls.kind, cls.runtime = kind, runtime
        _classes[(kind, runtime)] = cls
        _entries.setdefault((kind, runtime), Entry(kind, runtime, f"{cls.__module__}:{cls.__qualname__}"))
        return cls

    return decorate


def _read_plugins() -> None:
    global _plugins_read
    if _plugins_read:
        return
    _plugins_read = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        kind, _, runtime = ep.name.partition(":")
        key = (kind, runtime or "python")
        if key in _entries:
            log.warning("entry point %s=%s ignored: %s/%s is registered already", ep.name, ep.value, *key)
            continue
        _entries[key] = Entry(key[0], key[1], ep.value)


def entries() -> list[Entry]:
    """Every known (kind, runtime), built-in and from entry points, without importing any of them."""
    _read_plugins()
    return sorted(_entries.values(), key=lambda e: (e.kind, e.runtime))


def kinds() -> list[str]:
    return sorted({e.kind for e in entries()})


def get(kind: str, runtime: str | None = None) -> type[Parser]:
    """The class of a kind in a runtime (default: the runtime it is trained in)."""
    _read_plugins()
    key = (kind, runtime) if runtime else _training_key(kind)
    cls = _classes.get(key)
    if cls is not None:
        return cls
    entry = _entries.get(key)
    if entry is None:
        known = sorted({f"{k}/{r}" for k, r in _entries}) if runtime else kinds()
        what = f"parser kind {kind!r}" + (f" in runtime {runtime!r}" if runtime else "")
        raise InputError(f"unknown {what}: expected one of {', '.join(known)}")
    module, _, name = entry.target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except ImportError as exc:  # an optional stack: PyTorch and transformers, or onnxruntime
        hint = f": pip install 'kiloglot[{entry.extra}]'" if entry.extra else ""
        raise InputError(
            f"parser kind {kind!r} ({key[1]}) needs packages that are not installed ({exc}){hint}"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Parser)) or (cls.kind, cls.runtime) != key:
        raise ModelError(f"{entry.target} is not a kiloglot parser of kind {key[0]!r} in runtime {key[1]!r}")
    _classes[key] = cls
    return cls


def _training_key(kind: str) -> Key:
    """Kinds are created (and trained) in their first registered runtime that is not an export."""
    for e in entries():
        if e.kind == kind and e.runtime != "onnx":
            return (e.kind, e.runtime)
    return (kind, "python")


def create(kind: str, **options: Any) -> TrainableParser:
    """A new, untrained parser of ``kind``; ``options`` are its keyword options (``get_params()``)."""
    cls = get(kind)
    if not issubclass(cls, TrainableParser):
        raise InputError(f"parser kind {kind!r} cannot be trained here: it is loaded from a saved model")
    return cls(**options)


def load(path: str | Path) -> Parser:
    """Load any saved parser: the manifest names its kind and runtime."""
    manifest = read_manifest(path)
    kind, runtime = manifest["kind"], manifest["runtime"]
    try:
        cls = get(kind, runtime)
    except InputError as exc:
        raise ModelError(f"{path}: {exc}") from None
    loader = cast(ArtifactKind, cls)
    if not hasattr(loader, "from_artifact"):
        raise ModelError(f"{path}: parser kind {kind!r} ({runtime}) cannot be loaded from a directory")
    return loader.from_artifact(Path(path), manifest)


def upgrade(path: str | Path, out: str | Path | None = None) -> Path:
    """Rewrite a model saved in an older artifact format in the current one (``out``: elsewhere; by
    default in place, atomically). The parses stay the same: the model is read through the upgrade path
    and written by its current writer."""
    from kiloglot.nlu.contract import Saveable
    from kiloglot.nlu.ensemble import EnsembleParser

    manifest = read_manifest(path)
    parser = load(path)
    if not isinstance(parser, Saveable):
        raise ModelError(f"{path}: parser kind {parser.kind!r} ({parser.runtime}) cannot be written again")
    if isinstance(parser, EnsembleParser):  # write its members again too, not hard links to the old ones
        parser.sources = [None] * len(parser.members)
    return parser.save(out if out is not None else path, metrics=manifest.get("metrics"))
