"""Parser kinds by name (like spaCy's registry): ``create("linear", **options)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from kiloglot.errors import InputError

if TYPE_CHECKING:
    from kiloglot.nlu.base import Parser

P = TypeVar("P", bound="type[Parser]")
_KINDS: dict[str, type[Parser]] = {}
_MISSING: dict[str, str] = {}


def register(kind: str):  # type: ignore[no-untyped-def]
    def decorate(cls: P) -> P:
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return decorate


def _ensure_builtin() -> None:
    # Import the built-in kinds lazily so that `import kiloglot.nlu` stays light.
    import kiloglot.nlu.linear  # noqa: F401

    try:  # the neural kind needs the optional PyTorch stack: pip install 'kiloglot[neural]'
        import kiloglot.nlu.neural.parser  # noqa: F401
    except ImportError as exc:
        _MISSING["neural"] = str(exc)


def kinds() -> list[str]:
    _ensure_builtin()
    return sorted(_KINDS)


def get(kind: str) -> type[Parser]:
    _ensure_builtin()
    if kind in _MISSING and kind not in _KINDS:
        raise InputError(f"parser kind {kind!r} needs PyTorch and transformers ({_MISSING[kind]}): "
                         "pip install 'kiloglot[neural]'")
    try:
        return _KINDS[kind]
    except KeyError:
        raise InputError(f"unknown parser kind {kind!r}: expected one of {', '.join(sorted(_KINDS))}") from None


def create(kind: str, **options: Any) -> Parser:
    return get(kind)(**options)
