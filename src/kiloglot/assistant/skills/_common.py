"""Helpers the skills share: reading when something should happen, naming rooms and things."""

from __future__ import annotations

from datetime import datetime

from kiloglot.assistant.skill import Frame, SkillContext
from kiloglot.assistant.values import When, read_when


def when(frame: Frame, ctx: SkillContext) -> When:
    """What a frame's time/timeofday and date slots name (the utterance's words around a duration too)."""
    time_text = " ".join(frame.all("time") + frame.all("timeofday"))
    date_text = " ".join(frame.all("date"))
    if not time_text and not date_text:
        return When()
    return read_when(time_text, ctx.loc, ctx.now, utterance=ctx.text, date_text=date_text)


def time_in_other_slots(frame: Frame, ctx: SkillContext, slot: str = "time") -> Frame:
    """A frame whose ``slot`` is missing gets it from another slot that reads as a time ("٧:٣٠" tagged
    as change_amount), else from the utterance itself when that names one."""
    if frame.get(slot):
        return frame
    for values in frame.slots.values():
        found = read_when(" ".join(values), ctx.loc, ctx.now)
        if found.at is not None or found.seconds is not None:
            return frame.with_slots({slot: values})
    found = read_when("", ctx.loc, ctx.now, utterance=ctx.text)
    if found.at is not None or found.seconds is not None:
        return frame.with_slots({slot: [ctx.text]})
    return frame


def show_when(moment: datetime, ctx: SkillContext) -> str:
    return ctx.loc.when(moment, today=ctx.now.date())


def place_word(frame: Frame, ctx: SkillContext, slot: str = "house_place") -> str:
    return frame.get(slot) or ctx.loc.word("words", "home")
