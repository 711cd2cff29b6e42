"""Durations: "10 minutes", "10 Minuten", "10分", "dakika kumi", "half an hour", "1 hour 30 minutes".

The unit patterns are CLDR's (through babel) for every locale, every plural form and length; a locale's
catalogue adds whole phrases ("half an hour", "полчаса") and colloquial units ("masaa").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from kiloglot.assistant.nlg import Localizer, _catalogue
from kiloglot.assistant.values.numbers import with_digits
from kiloglot.assistant.values.text import normalise, spaced, word_pattern

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_UNITS = (
    ("duration-week", 604800),
    ("duration-day", 86400),
    ("duration-hour", 3600),
    ("duration-minute", 60),
    ("duration-second", 1),
)
SECONDS = re.compile(r"⟦(\d+)⟧")  # a duration phrase already read, in seconds


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    seconds: float
    unit: int = 0  # seconds in one of its unit (60: minutes); 0 for a whole phrase


def _unit_regex(pattern: str) -> str:
    """A CLDR pattern ("{0} minutes", "saa {0}", "{0}分") as a regex over normalised, digit-ised text."""
    before, _, after = (normalise(p) for p in pattern.partition("{0}"))
    rx = r"\s*".join(re.escape(p) if p != "{0}" else _NUMBER for p in (before, "{0}", after) if p)
    if before and spaced(before[0]):
        rx = r"(?<!\w)" + rx
    if after and spaced(after[-1]):
        rx += r"(?!\w)"
    return rx


@cache
def _patterns(locale: str) -> list[tuple[re.Pattern[str], int, float | None]]:
    """(regex, seconds per unit, fixed count or None) for every duration unit pattern of ``locale``."""
    from babel import Locale

    from kiloglot.assistant.nlg import babel_locale

    data = Locale.parse(str(babel_locale(locale)))._data["unit_patterns"]
    found: dict[str, tuple[int, float | None]] = {}
    for unit, secs in _UNITS:
        for length in ("long", "short", "narrow"):
            for form, pattern in data.get(unit, {}).get(length, {}).items():
                if form == "per":
                    continue
                if "{0}" in pattern:
                    found.setdefault(_unit_regex(pattern), (secs, None))
                elif form in ("one", "two"):  # Arabic: "ساعة" is one hour, "ساعتان" two
                    found.setdefault(word_pattern(normalise(pattern)), (secs, 1.0 if form == "one" else 2.0))
    units = _catalogue(locale).get("lexicon", {}).get("duration_units", {})
    for word, secs in units.items():
        w = re.escape(normalise(word))
        found.setdefault(rf"(?<!\w){w}\s*{_NUMBER}", (int(secs), None))
        found.setdefault(rf"{_NUMBER}\s*{w}(?!\w)", (int(secs), None))
    ordered = sorted(found.items(), key=lambda kv: -len(kv[0]))
    return [(re.compile(rx), secs, fixed) for rx, (secs, fixed) in ordered]


def mark_phrases(text: str, loc: Localizer) -> str:
    """Normalise ``text`` and replace whole duration phrases ("half an hour") by their seconds (⟦1800⟧)."""
    t = normalise(text)
    phrases = _catalogue(loc.locale).get("lexicon", {}).get("durations", {})
    for phrase, secs in sorted(phrases.items(), key=lambda kv: -len(kv[0])):
        t = re.sub(word_pattern(normalise(phrase)), f" ⟦{int(secs)}⟧ ", t)
    return re.sub(r"\s+", " ", t).strip()


def prepare(text: str, loc: Localizer) -> str:
    """What every reader works on: normalised, phrases marked, number words as digits."""
    return with_digits(mark_phrases(text, loc), loc)


def duration_spans(prepared: str, loc: Localizer) -> list[Span]:
    """Every duration in ``prepared`` text (see ``prepare``), left to right, none overlapping."""
    spans: list[Span] = [Span(m.start(), m.end(), float(m.group(1))) for m in SECONDS.finditer(prepared)]
    taken = [(s.start, s.end) for s in spans]
    for rx, secs, fixed in _patterns(loc.locale):
        for m in rx.finditer(prepared):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            count = fixed if fixed is not None else float(m.group(1).replace(",", "."))
            spans.append(Span(m.start(), m.end(), count * secs, secs))
            taken.append((m.start(), m.end()))
    return sorted(spans, key=lambda s: s.start)


def read_duration(text: str, loc: Localizer) -> float | None:
    """Seconds ``text`` names ("1 hour 30 minutes" -> 5400), or None when it names no duration."""
    spans = duration_spans(prepare(text, loc), loc)
    return sum(s.seconds for s in spans) if spans else None
