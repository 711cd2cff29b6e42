"""One typed path for options, from Python keywords or from ``KEY=VALUE`` strings.

Every group of options is a frozen dataclass whose fields declare their types and defaults
(``LinearOptions``, ``NeuralOptions``, ``TrainingOptions`` ...). This module is the only place that
turns what a caller gives into such an object:

- unknown keys are refused, naming the valid ones;
- text a person wrote (the command line's ``-o KEY=VALUE``, marked ``Written``) is parsed into the
  field's declared type: ``true``, ``1`` or ``yes`` for a ``bool``, ``none`` for an optional field;
- Python values must already have the declared type (an ``int`` is taken for a ``float``), so that a
  library call with ``compact_slots="yes"`` is an error, not a guess;
- range checks stay in each dataclass's ``__post_init__``, run on construction.

Like spaCy's config overrides, the command line and the library share one validation; like
scikit-learn's ``get_params``, ``as_params`` gives back what ``registry.create`` takes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Literal, TypeVar, Union

from pydantic import TypeAdapter, ValidationError

from kiloglot.errors import InputError

T = TypeVar("T")
_NONE_WORDS = {"none", "null"}


class Written(str):
    """A value as a person wrote it (``-o dim=128``): parsed into the declared type when it meets it.
    Plain Python values are checked, not parsed."""

    __slots__ = ()


def parse_assignments(items: Iterable[str]) -> dict[str, Written]:
    """``["dim=128", "layers=2"]`` -> ``{"dim": "128", "layers": "2"}``; values stay text until they
    meet the type they are for."""
    out: dict[str, Written] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"option {item!r}: expected KEY=VALUE, e.g. dim=128")
        out[key.strip()] = Written(value.strip())
    return out


def field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def build(cls: type[T], values: Mapping[str, Any], *, what: str, base: T | None = None) -> T:
    """An instance of the options dataclass ``cls`` from ``values`` (Python values or strings),
    on top of ``base`` (default: the class's defaults). ``what`` names the options in errors."""
    names = field_names(cls)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InputError(f"unknown option(s) for {what}: {', '.join(unknown)}; expected some of: {', '.join(names)}")
    hints = typing.get_type_hints(cls)
    coerced = {key: coerce(key, value, hints[key]) for key, value in values.items()}
    if base is not None:
        return dataclasses.replace(base, **coerced)  # type: ignore[type-var]
    return cls(**coerced)


def split(values: Mapping[str, Any], groups: Mapping[str, type], *, what: str) -> dict[str, dict[str, Any]]:
    """Route each key to the one group (an options dataclass) that declares it."""
    owner: dict[str, str] = {}
    for group, cls in groups.items():
        for name in field_names(cls):
            owner.setdefault(name, group)
    unknown = sorted(set(values) - set(owner))
    if unknown:
        raise InputError(
            f"unknown option(s) for {what}: {', '.join(unknown)}; expected some of: {', '.join(sorted(owner))}"
        )
    out: dict[str, dict[str, Any]] = {group: {} for group in groups}
    for key, value in values.items():
        out[owner[key]][key] = value
    return out


def as_params(*groups: Any) -> dict[str, Any]:
    """The fields of one or more options objects as one flat dict (what ``registry.create`` takes)."""
    params: dict[str, Any] = {}
    for group in groups:
        params.update(dataclasses.asdict(group))
    return params


def coerce(key: str, value: Any, annotation: Any) -> Any:
    """``value`` as the declared type: parsed when it was written as text (``Written``), checked when not."""
    try:
        if isinstance(value, Written):
            if annotation is str or (_optional(annotation) and str in typing.get_args(annotation)):
                if value.strip().lower() in _NONE_WORDS and _optional(annotation):
                    return None
                return str(value)
            if value.strip().lower() in _NONE_WORDS and _optional(annotation):
                return None
            return _adapter(annotation).validate_strings(value.strip())
        return _adapter(annotation).validate_python(value, strict=True)
    except ValidationError:
        raise InputError(f"{key} {value!r}: expected {describe(annotation)}") from None


def describe(annotation: Any) -> str:
    """How a value of this type is written, for error messages."""
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number"
    if annotation is float:
        return "a number"
    if annotation is str:
        return "text"
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (Union, types.UnionType):
        parts = [describe(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(parts) + (" or none" if _optional(annotation) else "")
    return str(annotation)


def _optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in typing.get_args(annotation)


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)
