"""When something should happen, from a request's time and date words: a clock time ("at 7 tomorrow"), a
moment counted from now ("in 10 minutes", "baada ya dakika 10", "10分後", "через 10 минут"), or a
duration ("for 10 minutes", a timer).

"in 10 minutes" is a moment, never 10:00: a duration beside a "later" word ("in", "from now", "baada ya",
"後") counts from now; beside a "for" word it is a length; a clock time is read only from what is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kiloglot.assistant.nlg import Localizer, _catalogue
from kiloglot.assistant.values.calendar import read_date
from kiloglot.assistant.values.clock import day_period, read_clock, says_oclock
from kiloglot.assistant.values.durations import Span, duration_spans, prepare
from kiloglot.assistant.values.text import word_pattern

_NEAR = 24  # characters either side of a duration in which its "in" / "for" word is looked for


@dataclass(frozen=True)
class When:
    """What a request's time words name. ``at``: a moment (aware, in now's zone); ``seconds``: a length;
    ``day``: the day named, even without a time; ``relative``: ``at`` was counted from now."""

    at: datetime | None = None
    seconds: float | None = None
    day: date | None = None
    relative: bool = False


def _marker(prepared: str, span: Span, words: list[str]) -> int | None:
    """Distance from the duration to the nearest of ``words`` next to it, or None."""
    before, after = prepared[max(0, span.start - _NEAR) : span.start], prepared[span.end : span.end + _NEAR]
    best: int | None = None
    for word in words:
        rx = word_pattern(word.lower())
        for hit in re.finditer(rx, before):
            best = min(best if best is not None else _NEAR, len(before) - hit.end())
        if found := re.search(rx, after):
            best = min(best if best is not None else _NEAR, found.start())
    return best


def _around(text: str, utterance: str) -> str:
    """``text`` with the utterance's words either side of it (where "in" / "for" are said), else ``text``."""
    at = utterance.casefold().find(text.casefold()) if text and utterance else -1
    if at < 0:
        return text or utterance
    return utterance[max(0, at - _NEAR) : at + len(text) + _NEAR]


def duration_role(prepared: str, loc: Localizer, hours_are_clock: bool = False) -> tuple[str, float] | None:
    """("later" | "for" | "bare", seconds) of the durations in ``prepared`` text, or None.
    ``hours_are_clock``: a day-period word is there, so hours (and longer) are o'clock, not lengths."""
    spans = [s for s in duration_spans(prepared, loc) if not (hours_are_clock and s.unit >= 3600)]
    if not spans:
        return None
    lexicon = _catalogue(loc.locale).get("lexicon", {})
    seconds = sum(s.seconds for s in spans)
    later = min((d for s in spans if (d := _marker(prepared, s, lexicon.get("later", []))) is not None), default=None)
    length = min((d for s in spans if (d := _marker(prepared, s, lexicon.get("for", []))) is not None), default=None)
    if later is not None and (length is None or later <= length):
        return "later", seconds
    if length is not None:
        return "for", seconds
    if all(says_oclock(prepared[s.start : s.end], loc) for s in spans):
        return None  # "saa mbili", "sept heures": with no "in"/"for" beside it, a clock time
    return "bare", seconds


def read_when(text: str, loc: Localizer, now: datetime, utterance: str = "", date_text: str = "") -> When:
    """Read ``text`` (a request's time slots; the ``utterance`` when it and ``date_text`` are empty) and
    ``date_text`` (its date slots). The words around a duration come from the ``utterance`` too: "wake me up
    in 10 minutes" may tag "10 minutes" only."""
    source = text.strip() or ("" if date_text.strip() else utterance)
    prepared = prepare(source, loc)
    context = prepare(_around(source, utterance), loc)
    if date_text.strip():
        day = read_date(date_text, loc, now.date())
    else:  # a day said inside the time words ("kesho saa moja"): the words we know, no guessing
        day = read_date(source, loc, now.date(), fallback=False) if source else None
    hours_are_clock = day_period(prepared, loc) is not None  # "3 часа дня", "huit heures du matin"
    role = duration_role(context, loc, hours_are_clock) or duration_role(prepared, loc, hours_are_clock)
    if role is not None and role[0] == "later":
        return When(at=now + timedelta(seconds=role[1]), day=day, relative=True, seconds=role[1])
    clock = read_clock(prepared, loc)
    if clock is not None and (role is None or role[0] != "for"):
        return When(at=next_datetime(clock, day, now), day=day)
    if role is not None:
        return When(seconds=role[1], day=day)
    return When(day=day)


def next_datetime(at: time, day: date | None, now: datetime) -> datetime:
    """The next moment at this clock time (on ``day`` when given) in now's time zone."""
    when = datetime.combine(day or now.date(), at, tzinfo=now.tzinfo)
    if day is None and when <= now:
        when += timedelta(days=1)
    return when
