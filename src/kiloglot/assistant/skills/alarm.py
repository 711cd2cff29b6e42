"""Alarms and timers, kept per user; 'set a timer for 10 minutes' is a timer, not a clock time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._common import show_when, time_in_other_slots, when
from kiloglot.assistant.skills.timers import schedule_items, start_timer
from kiloglot.assistant.values import normalise
from kiloglot.assistant.values.text import find_word

WHEN = ("date", "time", "timeofday")


class AlarmSkill(Skill):
    scenario = "alarm"

    def complete(self, frame: Frame, ctx: SkillContext) -> Frame:
        return time_in_other_slots(frame, ctx) if frame.intent == "alarm_set" else frame

    @handles("alarm_set", required=("time",), optional=("date", "timeofday", "event_name", "general_frequency"))
    def set_alarm(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """A clock time or a moment counted from now ("in 10 minutes") is an alarm; a bare length ("a timer
        for 10 minutes") is a timer."""
        found = when(frame, ctx)
        if found.at is None and found.seconds:
            return start_timer(ctx, "alarms", found.seconds, label="timer", timer=True)
        if found.at is None:
            return SkillResult.question("time")
        alarms: list[dict[str, Any]] = ctx.data("alarms", [])
        alarm = {"at": found.at.isoformat(), "label": frame.get("event_name") or ""}
        ctx.save("alarms", sorted([*alarms, alarm], key=lambda a: a["at"]))
        return SkillResult("alarm_set", {"when": show_when(found.at, ctx)}, {"at": found.at.isoformat()})

    @handles("alarm_query", optional=WHEN)
    def list_alarms(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        upcoming = self.upcoming(ctx)
        if not upcoming:
            return SkillResult("alarm_none")
        shown = [show_when(datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo), ctx) for a in upcoming]
        return SkillResult("alarm_list", {"alarms": ctx.loc.join(shown)}, {"alarms": upcoming})

    @handles("alarm_remove", optional=WHEN)
    def remove_alarms(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """The alarm at the named time or day; the only one; all of them when the user says "all"; else
        ask which (two alarms and "delete my alarm" must not delete both)."""
        alarms: list[dict[str, Any]] = ctx.data("alarms", [])
        upcoming = self.upcoming(ctx)
        found = when(frame, ctx)
        moment, day = found.at, found.day
        if moment is None and day is None:
            if not upcoming:
                return SkillResult("alarm_none")
            everything = find_word(normalise(ctx.text), ctx.loc.lexicon("all")) is not None
            if len(upcoming) > 1 and not everything:
                shown = [show_when(datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo), ctx) for a in upcoming]
                return SkillResult.question(
                    "time", "alarm_which", count=len(upcoming), alarms=ctx.loc.join(shown, "or")
                )
            ctx.save("alarms", [a for a in alarms if a not in upcoming])
            key = "alarm_removed_all" if len(upcoming) > 1 else "alarm_removed"
            at = datetime.fromisoformat(upcoming[0]["at"]).astimezone(ctx.now.tzinfo)
            return SkillResult(key, {"when": show_when(at, ctx)}, {"removed": upcoming})

        def hit(a: dict[str, Any]) -> bool:
            at = datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo)
            return (moment is None or (at.hour, at.minute) == (moment.hour, moment.minute)) and (
                day is None or at.date() == day
            )

        gone = [a for a in alarms if hit(a)]
        if not gone:
            named = show_when(moment, ctx) if moment else ctx.loc.date(day) if day else ""
            return SkillResult("alarm_not_found", {"when": named})
        ctx.save("alarms", [a for a in alarms if a not in gone])
        at = datetime.fromisoformat(gone[0]["at"]).astimezone(ctx.now.tzinfo)
        return SkillResult("alarm_removed", {"when": show_when(at, ctx)}, {"removed": gone})

    @staticmethod
    def upcoming(ctx: SkillContext) -> list[dict[str, Any]]:
        return [a for a in ctx.data("alarms", []) if datetime.fromisoformat(a["at"]) > ctx.now]

    def scheduled(self, key: str, value: Any, locale: str) -> list[dict[str, Any]] | None:
        if key != "alarms":
            return None
        return schedule_items(value or [], lambda a: "timer" if a.get("timer") else "alarm")
