"""Replies in the user's language: per-locale templates, values formatted by CLDR (babel).

Templates live in ``messages/<locale>.json`` (``messages``: key -> ``str.format`` template; ``lexicon``:
words the dialogue manager and value readers need, such as yes/no/cancel and relative days).
A locale without a catalogue, or a key missing from one, falls back to English.
Every date, time, number, unit and list is formatted by babel for the locale, in the locale's
default CLDR numbering system (Arabic-Indic digits for ar-SA, Latin for hi-IN, ...).
"""

from __future__ import annotations

import json
import string
from datetime import date as datetime_date  # the name `date` is also a Localizer method
from datetime import datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

from kiloglot.errors import InputError

FALLBACK = "en-US"
REPLY_LOCALES = (
    "en-US",
    "de-DE",
    "fr-FR",
    "es-ES",
    "ja-JP",
    "zh-CN",
    "ar-SA",
    "hi-IN",
    "ru-RU",
    "sw-KE",
    "th-TH",
    "ko-KR",
)

# The digit zero of each CLDR numbering system we may meet; the other nine digits follow it in Unicode.
_DIGIT_ZERO = {
    "latn": "0",
    "arab": "\u0660",
    "arabext": "\u06f0",
    "deva": "\u0966",
    "beng": "\u09e6",
    "mymr": "\u1040",
    "thai": "\u0e50",
    "khmr": "\u17e0",
    "laoo": "\u0ed0",
    "tamldec": "\u0be6",
    "telu": "\u0c66",
    "knda": "\u0ce6",
    "mlym": "\u0d66",
    "gujr": "\u0ae6",
    "guru": "\u0a66",
    "orya": "\u0b66",
    "tibt": "\u0f20",
    "ethi": "0",
}


@cache
def _catalogue(locale: str) -> dict[str, Any]:
    try:
        text = resources.files("kiloglot.assistant").joinpath("messages", f"{locale}.json").read_text("utf-8")
    except FileNotFoundError:
        return {}
    return json.loads(text)


def has_catalogue(locale: str) -> bool:
    return bool(_catalogue(locale))


def page_strings(locale: str) -> dict[str, str]:
    """The chat page's own words (labels, buttons) in ``locale``'s language, English where it has none."""
    language = locale.split("-")[0].lower()
    match = next((r for r in REPLY_LOCALES if r.lower() == locale.lower()), None) or next(
        (r for r in REPLY_LOCALES if r.split("-")[0] == language), FALLBACK
    )
    return {**_catalogue(FALLBACK).get("page", {}), **_catalogue(match).get("page", {})}


@cache
def babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_US")


class Localizer:
    """Formats values and renders reply templates for one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel = babel_locale(locale)
        self.numbering = getattr(self.babel, "default_numbering_system", "latn") or "latn"
        zero = _DIGIT_ZERO.get(self.numbering, "0")
        self._digits = str.maketrans("0123456789", "".join(chr(ord(zero) + i) for i in range(10)))
        self.catalogue = _catalogue(locale)
        self.english = _catalogue(FALLBACK)

    # -- values ------------------------------------------------------------------------------
    def digits(self, text: str) -> str:
        """Latin digits -> the locale's customary digits (babel formats dates with Latin ones)."""
        return text.translate(self._digits)

    def number(self, value: float | int) -> str:
        return self.digits(format_decimal(value, locale=self.babel))

    def percent(self, fraction: float) -> str:
        return self.digits(format_percent(fraction, locale=self.babel))

    def time(self, value: time | datetime) -> str:
        return self.digits(format_time(value, format="short", locale=self.babel))

    def date(self, value: datetime_date | datetime, fmt: str = "full") -> str:
        return self.digits(format_date(value, format=fmt, locale=self.babel))

    def when(self, value: datetime, today: datetime_date | None = None) -> str:
        """Time, plus the date when it is not today."""
        if today is not None and value.date() == today:
            return self.time(value)
        return self.render_raw("datetime_pattern", time=self.time(value), date=self.date(value, "medium"))

    def weekday(self, value: datetime_date) -> str:
        return get_day_names("wide", locale=self.babel)[value.weekday()]

    def duration(self, seconds: float) -> str:
        return self.digits(
            format_timedelta(timedelta(seconds=seconds), threshold=1.0, locale=self.babel, format="long")
        )

    def unit(self, value: float, unit: str, length: Literal["short", "long", "narrow"] = "short") -> str:
        return self.digits(format_unit(value, unit, length=length, locale=self.babel))

    def join(self, items: list[str], style: Literal["standard", "or", "unit"] = "standard") -> str:
        return format_list(items, style=style, locale=self.babel) if items else ""

    # -- words ---------------------------------------------------------------------------------
    def lexicon(self, key: str) -> list[str]:
        words = self.catalogue.get("lexicon", {}).get(key)
        return list(words) if words is not None else list(self.english.get("lexicon", {}).get(key, []))

    def word(self, group: str, key: str) -> str:
        """A localized name from a group (``scenario``, ``slot``...), English, then the key itself."""
        for cat in (self.catalogue, self.english):
            name = cat.get(group, {}).get(key)
            if name:
                return name
        return key.replace("_", " ")

    # -- templates -----------------------------------------------------------------------------
    def template(self, key: str) -> tuple[str, str]:
        """(template, the locale it came from)."""
        text = self.catalogue.get("messages", {}).get(key)
        if text is not None:
            return text, self.locale
        text = self.english.get("messages", {}).get(key)
        if text is None:
            raise KeyError(f"no reply template {key!r} in any catalogue")
        return text, FALLBACK

    def render_raw(self, key: str, **values: Any) -> str:
        return self.render(key, **values)[0]

    def render(self, key: str, **values: Any) -> tuple[str, str]:
        """Fill a template with already formatted values; numbers given raw are formatted here."""
        template, source = self.template(key)
        needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        missing = needed - set(values)
        if missing:
            raise InputError(f"reply {key!r} needs value(s) {', '.join(sorted(missing))}")
        shown = {
            k: (self.number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in values.items()
        }
        return template.format(**shown), source
