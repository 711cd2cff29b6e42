"""Alarms and timers, kept per user; 'set a timer for 10 minutes' is a timer, not a clock time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._common import duration, show_when, when
from kiloglot.assistant.skills.timers import schedule_items, start_timer

WHEN = ("date", "time", "timeofday")


class AlarmSkill(Skill):
    scenario = "alarm"

    @handles("alarm_set", required=("time",), optional=("date", "timeofday", "event_name", "general_frequency"))
    def set_alarm(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        secs = duration(frame, ctx)
        if secs:
            return start_timer(ctx, "alarms", secs, label="timer", timer=True)
        moment, _ = when(frame, ctx)
        if moment is None:
            return SkillResult.question("time")
        alarms: list[dict[str, Any]] = ctx.data("alarms", [])
        alarm = {"at": moment.isoformat(), "label": frame.get("event_name") or ""}
        ctx.save("alarms", sorted([*alarms, alarm], key=lambda a: a["at"]))
        return SkillResult("alarm_set", {"when": show_when(moment, ctx)}, {"at": moment.isoformat()})

    @handles("alarm_query", optional=WHEN)
    def list_alarms(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        upcoming = [a for a in ctx.data("alarms", []) if datetime.fromisoformat(a["at"]) > ctx.now]
        if not upcoming:
            return SkillResult("alarm_none")
        shown = [show_when(datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo), ctx) for a in upcoming]
        return SkillResult("alarm_list", {"alarms": ctx.loc.join(shown)}, {"alarms": upcoming})

    @handles("alarm_remove", optional=WHEN)
    def remove_alarms(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """The alarm at the named time or day, else all of them."""
        alarms: list[dict[str, Any]] = ctx.data("alarms", [])
        moment, day = when(frame, ctx)
        if moment is None and day is None:
            if not alarms:
                return SkillResult("alarm_none")
            ctx.save("alarms", [])
            return SkillResult("alarm_removed_all", data={"removed": alarms})

        def hit(a: dict[str, Any]) -> bool:
            at = datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo)
            return (moment is None or (at.hour, at.minute) == (moment.hour, moment.minute)) and (
                day is None or moment is not None or at.date() == day
            )

        gone = [a for a in alarms if hit(a)]
        if not gone:
            named = show_when(moment, ctx) if moment else ctx.loc.date(day) if day else ""
            return SkillResult("alarm_not_found", {"when": named})
        ctx.save("alarms", [a for a in alarms if a not in gone])
        at = datetime.fromisoformat(gone[0]["at"]).astimezone(ctx.now.tzinfo)
        return SkillResult("alarm_removed", {"when": show_when(at, ctx)}, {"removed": gone})

    def scheduled(self, key: str, value: Any, locale: str) -> list[dict[str, Any]] | None:
        if key != "alarms":
            return None
        return schedule_items(value or [], lambda a: "timer" if a.get("timer") else "alarm")
