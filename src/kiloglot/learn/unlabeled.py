"""Unlabelled utterances for pretraining and distillation, from MASSIVE or from a file.

Sources: ``massive:SPLIT`` (the texts of a MASSIVE partition, labels dropped), or a UTF-8 file of
one utterance per line: JSON lines ``{"text": ..., "locale": ...}``, ``locale<TAB>text`` lines, or
plain lines (then a default locale must be given). Each utterance is segmented into MASSIVE words
for its locale, so models see the same words in pretraining, distillation and fine-tuning.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from kiloglot.data.locales import known_locale
from kiloglot.data.segmentation import segment
from kiloglot.errors import DataError, InputError


class _HasLocale(Protocol):
    @property
    def locale(self) -> str: ...


T = TypeVar("T", bound=_HasLocale)


@dataclass(frozen=True, slots=True)
class Utterance:
    locale: str
    text: str
    words: tuple[str, ...]


def read_unlabeled(
    source: str, locales: Sequence[str] | None = None, *, data: str | None = None, default_locale: str | None = None
) -> list[Utterance]:
    """Utterances of ``source`` (``massive:SPLIT`` or a file path), kept only for ``locales`` if given."""
    if source.startswith("massive:"):
        split = source.partition(":")[2]
        if split not in ("train", "dev", "test"):
            raise InputError(f"unlabelled source {source!r}: expected massive:train, massive:dev or massive:test")
        from kiloglot.data import MassiveReader, resolve_massive_source

        examples = MassiveReader(resolve_massive_source(data), list(locales) if locales else None, [split]).read()
        return [Utterance(e.locale, e.text, tuple(e.words)) for e in examples]
    return _read_file(Path(source), set(locales) if locales else None, default_locale)


def _read_file(path: Path, keep: set[str] | None, default_locale: str | None) -> list[Utterance]:
    if not path.is_file():
        raise InputError(f"unlabelled text {path} does not exist: expected a file or massive:SPLIT")
    if default_locale is not None and not known_locale(default_locale):
        raise InputError(f"unknown locale {default_locale!r}: expected a MASSIVE locale such as en-US")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text (byte {exc.start}): expected one utterance per line") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        locale, text = _split_line(line, default_locale, path, n)
        if not known_locale(locale):
            raise DataError(f"{path}, line {n}: unknown locale {locale!r}: expected a MASSIVE locale such as en-US")
        if keep is None or locale in keep:
            words = tuple(segment(text, locale))
            if words:
                out.append(Utterance(locale, text, words))
    if not out:
        raise DataError(f"{path} holds no utterances" + (f" for locale(s) {', '.join(sorted(keep))}" if keep else ""))
    return out


def _split_line(line: str, default_locale: str | None, path: Path, n: int) -> tuple[str, str]:
    if line.lstrip().startswith("{"):
        try:
            record = json.loads(line)
            text = record["text"]
            locale = record.get("locale", default_locale)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise DataError(f'{path}, line {n}: expected a JSON object with "text" (and "locale")') from None
    elif "\t" in line:
        locale, _, text = line.partition("\t")
    else:
        locale, text = default_locale, line
    if not locale:
        raise DataError(
            f"{path}, line {n}: no locale: give a default locale for plain lines, or write 'locale<TAB>text'"
        )
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{path}, line {n}: empty utterance")
    return str(locale).strip(), text.strip()


def sample_per_locale(utterances: Sequence[T], limit: int | None, seed: int) -> list[T]:
    """At most ``limit`` utterances (or examples: anything with a ``locale``) of each locale, a seeded
    random sample, order otherwise kept."""
    if not limit:
        return list(utterances)
    by_locale: dict[str, list[int]] = {}
    for i, u in enumerate(utterances):
        by_locale.setdefault(u.locale, []).append(i)
    rng = random.Random(seed)
    keep: set[int] = set()
    for idx in by_locale.values():
        keep.update(idx if len(idx) <= limit else rng.sample(idx, limit))
    return [u for i, u in enumerate(utterances) if i in keep]


def load_unlabeled(
    source: str,
    locales: Sequence[str] | None = None,
    *,
    data: str | None = None,
    default_locale: str | None = None,
    per_locale: int | None = None,
    seed: int = 13,
) -> list[Utterance]:
    """``read_unlabeled`` then at most ``per_locale`` utterances of each locale (a seeded sample);
    refuses a source that holds none."""
    texts = read_unlabeled(source, locales, data=data, default_locale=default_locale)
    if not texts:
        raise DataError(f"no unlabelled utterances in {source}" + (f" for {', '.join(locales)}" if locales else ""))
    return sample_per_locale(texts, per_locale or None, seed)
