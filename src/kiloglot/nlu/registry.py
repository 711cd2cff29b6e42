"""Parser kinds by name (like spaCy's registry): ``create("linear", **options)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from kiloglot.errors import InputError

if TYPE_CHECKING:
    from kiloglot.nlu.base import Parser

P = TypeVar("P", bound="type[Parser]")
_KINDS: dict[str, type[Parser]] = {}


def register(kind: str):  # type: ignore[no-untyped-def]
    def decorate(cls: P) -> P:
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return decorate


def _ensure_builtin() -> None:
    # Import the built-in kinds lazily so that `import kiloglot.nlu` stays light.
    import kiloglot.nlu.linear  # noqa: F401


def kinds() -> list[str]:
    _ensure_builtin()
    return sorted(_KINDS)


def get(kind: str) -> type[Parser]:
    _ensure_builtin()
    try:
        return _KINDS[kind]
    except KeyError:
        raise InputError(f"unknown parser kind {kind!r}: expected one of {', '.join(sorted(_KINDS))}") from None


def create(kind: str, **options: Any) -> Parser:
    return get(kind)(**options)
