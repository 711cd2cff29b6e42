"""Helpers the skills share: reading when something should happen, naming rooms and things."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from kiloglot.assistant.skill import Frame, SkillContext
from kiloglot.assistant.values import next_datetime, read_date, read_duration, read_time


def when(frame: Frame, ctx: SkillContext) -> tuple[datetime | None, date | None]:
    """The moment a frame's time/date/timeofday slots name, and the day alone when no time is given."""
    day = read_date(" ".join(frame.all("date")), ctx.loc, ctx.now.date()) if frame.get("date") else None
    at: time | None = (
        read_time(" ".join(frame.all("time") + frame.all("timeofday")), ctx.loc) if frame.get("time") else None
    )
    if at is None and frame.get("timeofday"):
        at = read_time(frame.get("timeofday") or "", ctx.loc)
    if at is None:
        return None, day
    return next_datetime(at, day, ctx.now), day or (ctx.now + timedelta(0)).date()


def duration(frame: Frame, ctx: SkillContext) -> float | None:
    text = " ".join(frame.all("time") + frame.all("change_amount")) or ctx.text
    return read_duration(text, ctx.loc)


def show_when(moment: datetime, ctx: SkillContext) -> str:
    return ctx.loc.when(moment, today=ctx.now.date())


def place_word(frame: Frame, ctx: SkillContext, slot: str = "house_place") -> str:
    return frame.get(slot) or ctx.loc.word("words", "home")
