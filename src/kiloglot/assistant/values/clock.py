"""Clock times as people say them: "seven thirty pm", "halb acht abends", "saa mbili asubuhi", "สองทุ่ม",
"午後7時半", "в половине восьмого", "साढ़े सात बजे", "السابعة والنصف مساءً", "19h30", "٧:٣٠".

The pieces:
- number words become digits (``numbers``); durations are set aside ("in 10 minutes" names no clock time);
- the hour comes from "H:MM", a number beside a clock word ("Uhr", "時", "बजे", "saa", "الساعة"), or the
  first number left;
- minute phrases move it ("half past" +30, "halb" -30, "quarter to" -15, "et quart" +15);
- day-period words pick the half of the day with CLDR's own day-period rules of the locale (through babel):
  "abends" is German evening1, 18:00-24:00, so "7 abends" is 19:00;
- local clock conventions: Swahili counts hours from 6 am ("saa mbili" = 8 o'clock) and Thai uses a
  six-hour clock ("ตีสอง" 2 am, "บ่ายสองโมง" 2 pm, "สองทุ่ม" 8 pm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Any

from kiloglot.assistant.nlg import Localizer, _catalogue, babel_locale
from kiloglot.assistant.values.durations import duration_spans, prepare
from kiloglot.assistant.values.text import find_word, normalise, spaced, word_pattern

# Where a locale's CLDR rules lack a period a catalogue names, these broad ranges stand in (hours).
_DEFAULT_RANGES = {"am": (0, 12), "pm": (12, 24), "morning": (4, 12), "afternoon": (12, 18),
                   "evening": (17, 24), "night": (20, 5)}  # fmt: skip
_NUM = r"(?<![\d⟦.,])(\d{1,2})(?![\d⟧]|[.,]\d)"


def lexicon(loc: Localizer) -> dict[str, Any]:
    lex: dict[str, Any] = _catalogue(loc.locale).get("lexicon", {})
    return lex


@cache
def period_words(locale: str) -> list[tuple[str, str]]:
    """(word, CLDR period id) of every day-period word of ``locale``, longest first."""
    found: dict[str, str] = {}
    for word_list, period in ((w, p) for p, w in _catalogue(locale).get("lexicon", {}).get("day_periods", {}).items()):
        for word in word_list:
            found.setdefault(normalise(word), period)
    periods = babel_locale(locale).day_periods
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated", "narrow"):
            for period, word in periods.get(context, {}).get(width, {}).items():
                w = normalise(word)
                if len(w) > 1 or not w.isascii():  # not "a"/"p"/"n": one Latin letter is too easily another word
                    found.setdefault(w, period)
    return sorted(found.items(), key=lambda kv: -len(kv[0]))


@cache
def period_ranges(locale: str) -> dict[str, tuple[float, float]]:
    """CLDR dayPeriodRules of ``locale`` as hour ranges ``[from, before)``, which may wrap past midnight."""
    rules: Any = babel_locale(locale).day_period_rules or {}
    ranges: dict[str, tuple[float, float]] = {"am": (0, 12), "pm": (12, 24)}
    for period, items in dict(rules.get(None) or {}).items():
        for rule in items:
            if "at" in rule:
                ranges[period] = (rule["at"] / 3600, rule["at"] / 3600 + 1 / 60)
            elif "from" in rule:
                ranges[period] = (rule["from"] / 3600, rule["before"] / 3600)
    return ranges


def _range_of(period: str, locale: str) -> tuple[float, float]:
    ranges = period_ranges(locale)
    if period in ranges:
        return ranges[period]
    return _DEFAULT_RANGES.get(period.rstrip("0123456789"), (0, 24))


def _in(hour: int, span: tuple[float, float]) -> bool:
    a, b = span
    return a <= hour < b if a < b else hour >= a or hour < b


def _distance(hour: int, span: tuple[float, float]) -> float:
    return min(min(abs(hour - edge), 24 - abs(hour - edge)) for edge in span)


def in_period(hour: int, period: str | None, locale: str) -> int:
    """The hour (0-23) a 12-hour ``hour`` is in ``period``: "7" "in the evening" -> 19."""
    if period is None or hour > 12:
        return hour % 24
    span = _range_of(period, locale)
    candidates = [hour % 12, hour % 12 + 12]
    inside = [h for h in candidates if _in(h, span)]
    if inside:
        return inside[0]
    if span[0] < span[1]:  # a period within one half of the day keeps the hour in that half:
        return candidates[1] if span[0] >= 12 else candidates[0]  # 上午二点 is 2:00, trois heures du soir 15:00
    return min(candidates, key=lambda h: _distance(h, span))


def day_period_word(text: str, loc: Localizer) -> tuple[str, int] | None:
    """(CLDR period id, length of the word) of the longest day-period word in ``text`` ("abends" ->
    evening1)."""
    best: tuple[int, int, str] | None = None
    for word, period in period_words(loc.locale):
        m = re.search(word_pattern(word), text)
        if m and (best is None or (-len(word), m.start()) < (-best[1], best[0])):
            best = (m.start(), len(word), period)
    return (best[2], best[1]) if best else None


def day_period(text: str, loc: Localizer) -> str | None:
    found = day_period_word(text, loc)
    return found[0] if found else None


def says_oclock(length: str, loc: Localizer) -> bool:
    """A length written like a clock time ("saa 2", "7 heures"): Swahili and French say hours and o'clock
    with one word; without an "in" or "for" beside it, it is read as o'clock."""
    lex = lexicon(loc)
    if length.startswith(tuple(normalise(w) for w in lex.get("clock_before", [])) or ("\0",)):
        return True
    return any(re.search(word_pattern(normalise(w)), length) for w in lex.get("clock_after", []) if len(w) > 1)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


@dataclass(frozen=True)
class _Hour:
    hour: int
    minute: int | None  # given with the hour ("7:30"), else None
    colon: bool  # written H:MM (Swahili time does not apply)
    end: int  # where the hour ends in the text
    text: str  # the text with lengths other than minutes blanked out, where minutes are looked for


def _hour_and_minute(t: str, loc: Localizer, *, clock_words_win: bool) -> _Hour | None:
    """The hour (and minute, when written with it) in prepared text. ``clock_words_win``: a day-period
    word is there, so "3 часа дня" / "7 heures du matin" are o'clock, not lengths."""
    lex = lexicon(loc)
    after = sorted((normalise(w) for w in lex.get("clock_after", [])), key=len, reverse=True)
    before = sorted((normalise(w) for w in lex.get("clock_before", [])), key=len, reverse=True)
    not_after = "|".join(re.escape(w) for w in lex.get("not_clock_after", [])) or "(?!)"
    spans = [] if clock_words_win else duration_spans(t, loc)
    lengths = [s for s in spans if not says_oclock(t[s.start : s.end], loc)]
    rest = _blank(t, [(s.start, s.end) for s in lengths])  # no lengths at all: where a bare hour is looked for
    minutes_text = _blank(t, [(s.start, s.end) for s in lengths if s.unit != 60])
    m = re.search(r"(?<![\d⟦.,])(\d{1,2})\s*[:.]\s*(\d{2})(?![\d⟧])", t) or re.search(
        r"(?<![\d⟦.,])([01]?\d|2[0-3])([0-5]\d)(?![\d⟧.,])",
        rest,  # "1930", and "530" ("five hundred thirty")
    )
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return _Hour(int(m.group(1)), int(m.group(2)), True, m.end(), minutes_text)
    if after:  # "7 Uhr", "7時", "7 बजे", "7h30"; not "2 시간" (two hours): what may not follow the word
        ends = [rf"{re.escape(w)}(?!\w)" if spaced(w[-1]) else re.escape(w) for w in after]
        m = re.search(rf"{_NUM}\s*(?:{'|'.join(ends)})(?!{not_after})", rest) or re.search(
            rf"{_NUM}\s*(?:{'|'.join(re.escape(w) for w in after)})(?=\d)", rest
        )
        if m and int(m.group(1)) <= 24:
            return _Hour(int(m.group(1)), None, False, m.end(), minutes_text)
    if before:
        marker = "|".join(re.escape(w) for w in before)
        m = re.search(rf"(?<!\w)(?:{marker})\s*{_NUM}", rest)
        if m and int(m.group(1)) <= 24:
            return _Hour(int(m.group(1)), None, False, m.end(), minutes_text)
    not_after = "|".join(re.escape(w) for w in lex.get("not_clock_after", [])) or "(?!)"
    m = re.search(rf"{_NUM}(?!\s*(?:{not_after}))", rest)  # not "五月" (May), "十一月" (November)
    if m and int(m.group(1)) <= 24:
        return _Hour(int(m.group(1)), None, False, m.end(), minutes_text)
    return None


def _thai(t: str) -> tuple[int, int] | None:
    """The Thai six-hour clock: ตีN (1-5 am), N โมงเช้า, บ่าย N โมง (pm), N โมงเย็น, N ทุ่ม (N pm + 6),
    N นาฬิกา (24-hour), เที่ยง (noon), เที่ยงคืน (midnight)."""
    t = re.sub(r"ชั่วโมง", " ⟦h⟧ ", t)  # "hour" (a duration) holds โมง: set it aside
    hour: int | None = None
    end = 0
    if m := re.search(r"เที่ยงคืน|สองยาม", t):
        hour, end = 0, m.end()
    elif m := re.search(r"ตี\s*(\d{1,2})", t):
        hour, end = int(m.group(1)) % 12, m.end()
    elif m := re.search(r"บ่าย\s*(\d{1,2})?\s*(?:โมง)?", t):
        hour, end = 12 + int(m.group(1) or 1) % 12, m.end()
    elif m := re.search(r"(\d{1,2})\s*ทุ่ม", t):
        hour, end = 18 + int(m.group(1)) % 6, m.end()
    elif m := re.search(r"(\d{1,2})\s*นาฬิกา", t):
        hour, end = int(m.group(1)) % 24, m.end()
    elif m := re.search(r"(\d{1,2})\s*โมง\s*(เช้า|เย็น)?", t):
        n = int(m.group(1))
        evening = m.group(2) == "เย็น" or (m.group(2) is None and 1 <= n <= 5)
        hour, end = (n % 12 + 12 if evening else n % 24), m.end()
    elif m := re.search(r"เที่ยง(?:วัน)?", t):
        hour, end = 12, m.end()
    if hour is None:
        return None
    minute = 30 if "ครึ่ง" in t[end:] else 0
    if m := re.match(r"\s*(\d{1,2})(?!\d)(?:\s*นาที)?", t[end:]):
        minute = int(m.group(1)) if int(m.group(1)) < 60 else minute
    return hour, minute


def _markers(lex: dict[str, Any]) -> str:
    """Any clock word said after the hour, as a regex ("(?!)" matching nothing when there is none)."""
    words = sorted((normalise(w) for w in lex.get("clock_after", [])), key=len, reverse=True)
    return "|".join(re.escape(w) for w in words) or "(?!)"


def _prepared_key(phrase: str, loc: Localizer) -> str:
    """A catalogue phrase as it looks in prepared text ("一刻" -> "1 刻")."""
    from kiloglot.assistant.values.numbers import with_digits

    return with_digits(phrase, loc)


def read_clock(t: str, loc: Localizer) -> time | None:
    """A clock time in prepared text (see ``durations.prepare``), or None."""
    language = loc.locale.split("-")[0]
    if language == "th" and (found := _thai(t)):
        return time(*found)
    lex = lexicon(loc)
    period_word = day_period_word(t, loc)
    period = period_word[0] if period_word else None
    reading = _hour_and_minute(t, loc, clock_words_win=period is not None)
    if reading is None:  # a word for noon alone, unless inside a longer period word ("midi" in "après-midi")
        longest = period_word[1] if period_word else 0
        for word_list, at in (("midnight", time(0, 0)), ("noon", time(12, 0))):
            m = find_word(t, lex.get(word_list, []))
            if period == word_list or (m and len(m.group(0)) >= longest):
                return at
        return None
    hour, minute, colon = reading.hour, reading.minute, reading.colon
    if minute is None:
        offsets = {_prepared_key(k, loc): int(v) for k, v in lex.get("minute_offsets", {}).items()}
        joiners = "|".join(
            re.escape(normalise(w)) for w in sorted(lex.get("minute_joiners", []), key=len, reverse=True)
        )
        if phrase := find_word(t, list(offsets)):  # "half past", "halb", "y cuarto", "一刻"
            offset = offsets[phrase.group(0)]
            minute = offset % 60
            if offset < 0:
                hour = (hour - 1) % 24 or (12 if hour <= 12 else 0)
        elif m := re.match(
            rf"[\s,]{{0,3}}(?:(?:{joiners or '(?!)'})\s*)?{_NUM}(?!\s*(?:{_markers(lex)}))", reading.text[reading.end :]
        ):
            minute = int(m.group(1)) if int(m.group(1)) < 60 else 0  # "7 30", "7時30分", "saa 2 na dakika 15"
        else:
            minute = 0
    if language == "sw" and not colon and hour <= 12:
        hour = (hour + 6) % 12 or (12 if period is None else 0)  # saa moja = 7, saa sita = 12
    if period in ("noon", "midnight") and hour in (0, 12):
        hour = 12 if period == "noon" else 0
    return time(in_period(hour, period, loc.locale), minute)


def read_time(text: str, loc: Localizer) -> time | None:
    """The clock time ``text`` names in ``loc``'s language, or None when it names none."""
    return read_clock(prepare(text, loc), loc)
