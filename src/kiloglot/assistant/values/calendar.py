"""Days: "tomorrow", "kesho", "übermorgen", "明日", a weekday name, and what dateparser reads beyond them
("next friday", "24 December", "in 3 days", "le 5 mars")."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import cache

from babel.dates import get_day_names

from kiloglot.assistant.nlg import Localizer, _catalogue
from kiloglot.assistant.values.text import find_word, normalise

log = logging.getLogger(__name__)

_RELATIVE_DAYS = (("day_after_tomorrow", 2), ("tomorrow", 1), ("yesterday", -1), ("today", 0))


@cache
def weekday_names(babel_id: str) -> list[tuple[str, int]]:
    """(name, Monday=0 index) in every CLDR width longer than two letters, longest first."""
    names = []
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for idx, name in get_day_names(width, context=context, locale=babel_id).items():
                if len(name) > 2:
                    names.append((normalise(name).rstrip("."), idx))
    return sorted(set(names), key=lambda x: -len(x[0]))


@cache
def _dateparser_languages() -> frozenset[str]:
    from dateparser.languages import default_loader

    return frozenset(default_loader.get_locale_map())


def _dateparser(text: str, loc: Localizer, today: date) -> date | None:
    language = loc.locale.split("-")[0]
    if language not in _dateparser_languages():
        return None
    import dateparser

    base = datetime.combine(today, datetime.min.time())
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "REQUIRE_PARTS": []}
    try:
        found = dateparser.parse(text, languages=[language], settings=settings)
    except (ValueError, OverflowError, KeyError):  # pragma: no cover - dateparser on odd input
        return None
    return found.date() if found else None


def read_date(text: str, loc: Localizer, today: date, *, fallback: bool = True) -> date | None:
    """The day ``text`` names, or None. ``fallback``: ask dateparser when the words we know say nothing
    (off for whole utterances, where it finds dates in anything)."""
    t = normalise(text)
    lexicon = _catalogue(loc.locale).get("lexicon", {})
    best: tuple[int, int, int] | None = None  # (start, -length, offset): the first, longest word wins
    for key, offset in _RELATIVE_DAYS:
        m = find_word(t, lexicon.get(key, []))
        if m and (best is None or (m.start(), -len(m.group(0))) < best[:2]):
            best = (m.start(), -len(m.group(0)), offset)
    if best is not None:
        return today + timedelta(days=best[2])
    for name, idx in weekday_names(str(loc.babel)):
        if find_word(t, [name]):
            return today + timedelta(days=(idx - today.weekday()) % 7 or 7)
    return _dateparser(t, loc, today) if fallback and t else None
