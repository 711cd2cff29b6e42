"""Alarms and timers, kept per user; 'set a timer for 10 minutes' is a timer, not a clock time."""

from __future__ import annotations

from datetime import datetime, timedelta

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult
from kiloglot.assistant.skills._common import duration, show_when, when


class AlarmSkill(Skill):
    scenario = "alarm"
    intents = {
        "alarm_set": IntentSpec(required=("time",), optional=("date", "timeofday", "event_name", "general_frequency")),
        "alarm_query": IntentSpec(optional=("date", "time", "timeofday")),
        "alarm_remove": IntentSpec(optional=("date", "time", "timeofday")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        alarms: list[dict] = ctx.data("alarms", [])
        if frame.intent == "alarm_set":
            secs = duration(frame, ctx)
            if secs:
                at = ctx.now + timedelta(seconds=secs)
                ctx.save("alarms", [*alarms, {"at": at.isoformat(), "label": "timer", "timer": True}])
                return SkillResult(
                    "timer_set",
                    {"duration": ctx.loc.duration(secs), "time": ctx.loc.time(at)},
                    {"at": at.isoformat(), "seconds": secs},
                )
            moment, _ = when(frame, ctx)
            if moment is None:
                return SkillResult.question("time")
            label = frame.get("event_name") or ""
            ctx.save("alarms", sorted([*alarms, {"at": moment.isoformat(), "label": label}], key=lambda a: a["at"]))
            return SkillResult("alarm_set", {"when": show_when(moment, ctx)}, {"at": moment.isoformat()})
        upcoming = [a for a in alarms if datetime.fromisoformat(a["at"]) > ctx.now]
        if frame.intent == "alarm_query":
            if not upcoming:
                return SkillResult("alarm_none")
            shown = [show_when(datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo), ctx) for a in upcoming]
            return SkillResult("alarm_list", {"alarms": ctx.loc.join(shown)}, {"alarms": upcoming})
        # alarm_remove: the one at the named time, else all of them
        moment, day = when(frame, ctx)
        if moment is not None or day is not None:

            def hit(a: dict) -> bool:
                at = datetime.fromisoformat(a["at"]).astimezone(ctx.now.tzinfo)
                return (moment is None or (at.hour, at.minute) == (moment.hour, moment.minute)) and (
                    day is None or moment is not None or at.date() == day
                )

            gone = [a for a in alarms if hit(a)]
            if not gone:
                return SkillResult("alarm_not_found", {"when": show_when(moment, ctx) if moment else ctx.loc.date(day)})
            ctx.save("alarms", [a for a in alarms if a not in gone])
            at = datetime.fromisoformat(gone[0]["at"]).astimezone(ctx.now.tzinfo)
            return SkillResult("alarm_removed", {"when": show_when(at, ctx)}, {"removed": gone})
        if not alarms:
            return SkillResult("alarm_none")
        ctx.save("alarms", [])
        return SkillResult("alarm_removed_all", data={"removed": alarms})
