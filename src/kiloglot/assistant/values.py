"""Read slot values (times, dates, durations, numbers) written in the user's language.

Slot text arrives as the user said it ("seven thirty pm", "19.30", "٧:٣٠ م", "明日", "10 Minuten").
What CLDR knows is taken from babel (day-period words, weekday names, duration unit patterns);
the rest (number words, relative days) comes from each locale's lexicon in ``messages/``.
A reader returns None when it cannot tell; a skill then keeps the user's own words.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from functools import cache

from babel.dates import get_day_names

from kiloglot.assistant.nlg import Localizer

_NUMBER = r"(\d+(?:[.,]\d+)?)"


def latin_digits(text: str) -> str:
    """Any Unicode decimal digit -> ASCII ('٧' -> '7', '७' -> '7', '７' -> '7')."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _norm(text: str) -> str:
    return latin_digits(unicodedata.normalize("NFKC", text)).lower().strip()


def _unspaced(word: str) -> bool:
    """Written without spaces between words (CJK, kana, Thai) or matched inside words (Hangul particles)."""
    return any(unicodedata.name(c, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "THAI", "HANGUL")) for c in word)


def word_pattern(word: str) -> str:
    return re.escape(word) if _unspaced(word) else rf"(?<!\w){re.escape(word)}(?!\w)"


def _has(text: str, word: str) -> bool:
    """Word match for spaced scripts, substring for scripts written without spaces."""
    word = word.lower()
    return bool(word) and re.search(word_pattern(word), text) is not None


def number_words(loc: Localizer) -> dict[str, int]:
    table = loc.catalogue.get("lexicon", {}).get("numbers") or loc.english.get("lexicon", {}).get("numbers", {})
    return {str(k).lower(): int(v) for k, v in table.items()}


def read_number(text: str, loc: Localizer) -> float | None:
    t = _norm(text)
    m = re.search(_NUMBER, t)
    if m:
        return float(m.group(1).replace(",", "."))
    for word, value in sorted(number_words(loc).items(), key=lambda kv: -len(kv[0])):
        if _has(t, word):
            return float(value)
    return None


def _day_period_words(loc: Localizer, which: str) -> list[str]:
    words = list(loc.lexicon(which))
    for width in ("abbreviated", "wide", "narrow"):
        try:
            w = loc.babel.day_periods["format"][width].get(which)
        except KeyError:
            w = None
        if w:
            words.append(w)
    return [w.lower() for w in words if w]


def read_time(text: str, loc: Localizer) -> time | None:
    """A clock time: digits with an optional separator, number words, am/pm, noon/midnight."""
    t = _norm(text)
    if any(_has(t, w) for w in loc.lexicon("noon")):
        return time(12, 0)
    if any(_has(t, w) for w in loc.lexicon("midnight")):
        return time(0, 0)
    hour = minute = None
    m = re.search(r"(\d{1,2})\s*[:.hH時시]\s*(\d{2})", t) or re.search(r"(?<!\d)(\d{1,2})(\d{2})(?!\d)", t)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        hour, minute = int(m.group(1)), int(m.group(2))
    else:
        m = re.search(r"(?<!\d)(\d{1,2})(?!\d)", t)
        if m and int(m.group(1)) < 24:
            hour, minute = int(m.group(1)), 0
    if hour is None:
        found = sorted((t.find(w), v) for w, v in number_words(loc).items() if _has(t, w))
        hours = [(pos, v) for pos, v in found if 0 < v <= 12]
        if not hours:
            return None
        first, hour = hours[0]
        minute = 30 if any(_has(t, w) for w in loc.lexicon("half")) else 0
        later = [v for pos, v in found if pos > first and v in (15, 30, 45)]
        if later:
            minute = later[0]
    if hour < 12 and any(_has(t, w) for w in _day_period_words(loc, "pm") + loc.lexicon("evening")):
        hour += 12
    elif hour == 12 and any(_has(t, w) for w in _day_period_words(loc, "am")):
        hour = 0
    return time(hour, minute or 0)


@cache
def _weekday_names(babel_id: str) -> list[tuple[str, int]]:
    names = []
    for width in ("wide", "abbreviated"):
        for idx, name in get_day_names(width, locale=babel_id).items():
            if len(name) > 2:
                names.append((name.lower().rstrip("."), idx))
    return sorted(names, key=lambda x: -len(x[0]))


def read_date(text: str, loc: Localizer, today: date) -> date | None:
    """today / tomorrow / the day after / yesterday, or a weekday name (the next one)."""
    t = _norm(text)
    for key, offset in (("day_after_tomorrow", 2), ("tomorrow", 1), ("yesterday", -1), ("today", 0)):
        if any(_has(t, w) for w in loc.lexicon(key)):
            return today + timedelta(days=offset)
    for name, idx in _weekday_names(str(loc.babel)):
        if _has(t, name):
            return today + timedelta(days=(idx - today.weekday()) % 7 or 7)
    return None


@cache
def _duration_patterns(babel_id: str) -> list[tuple[re.Pattern[str], int]]:
    from babel import Locale

    data = Locale.parse(babel_id)._data["unit_patterns"]
    out = []
    for unit, secs in (("duration-hour", 3600), ("duration-minute", 60), ("duration-second", 1)):
        for length in ("long", "short", "narrow"):
            for form, pattern in data.get(unit, {}).get(length, {}).items():
                if form == "per" or "{0}" not in pattern:
                    continue
                rx = re.escape(pattern.lower()).replace(re.escape("{0}"), _NUMBER).replace(r"\ ", r"\s*")
                out.append((re.compile(rx), secs))
    return sorted(out, key=lambda p: -len(p[0].pattern))


def read_duration(text: str, loc: Localizer) -> float | None:
    """'10 minutes', '10 Minuten', '10分', '1 hour 30 minutes' -> seconds, by CLDR unit patterns."""
    t = _norm(text)
    words = number_words(loc)
    for word, value in sorted(words.items(), key=lambda kv: -len(kv[0])):
        if _has(t, word):
            t = re.sub(word_pattern(word), str(value), t)
    total, seen = 0.0, False
    for rx, secs in _duration_patterns(str(loc.babel)):
        for m in rx.finditer(t):
            total += float(m.group(1).replace(",", ".")) * secs
            seen = True
            t = t[: m.start()] + " " * (m.end() - m.start()) + t[m.end() :]
    return total if seen else None


def next_datetime(at: time, day: date | None, now: datetime) -> datetime:
    """The next moment at this clock time (on ``day`` when given) in now's time zone."""
    when = datetime.combine(day or now.date(), at, tzinfo=now.tzinfo)
    if day is None and when <= now:
        when += timedelta(days=1)
    return when
