"""Parser kinds by name (like spaCy's registry): ``create("linear", **options)``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TypeVar

from kiloglot.errors import InputError

if TYPE_CHECKING:
    from kiloglot.nlu.contract import Parser

P = TypeVar("P", bound="type[Parser]")
_KINDS: dict[str, type[Parser]] = {}
_MISSING: dict[str, str] = {}


def register(kind: str):  # type: ignore[no-untyped-def]
    def decorate(cls: P) -> P:
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return decorate


# Built-in kinds and the module that registers each, imported only when that kind is asked for: a
# process serving a linear model never imports PyTorch (~200 MB of resident memory).
_BUILTIN = {
    "linear": "kiloglot.nlu.linear",
    "neural": "kiloglot.nlu.neural.parser",
    "ensemble": "kiloglot.nlu.ensemble",
}


def _ensure(kind: str) -> None:
    module = _BUILTIN.get(kind)
    if module is None or kind in _KINDS or kind in _MISSING:
        return
    try:
        importlib.import_module(module)
    except ImportError as exc:  # the neural kind needs the optional PyTorch stack: pip install 'kiloglot[neural]'
        if kind == "linear":
            raise
        _MISSING[kind] = str(exc)


def kinds() -> list[str]:
    for kind in _BUILTIN:
        _ensure(kind)
    return sorted(_KINDS)


def get(kind: str) -> type[Parser]:
    _ensure(kind)
    if kind in _MISSING and kind not in _KINDS:
        raise InputError(
            f"parser kind {kind!r} needs PyTorch and transformers ({_MISSING[kind]}): pip install 'kiloglot[neural]'"
        )
    try:
        return _KINDS[kind]
    except KeyError:
        for other in _BUILTIN:
            _ensure(other)
        raise InputError(f"unknown parser kind {kind!r}: expected one of {', '.join(sorted(_KINDS))}") from None


def create(kind: str, **options: Any) -> Parser:
    return get(kind)(**options)
