"""A calendar of events and reminders per user (the ``calendar`` scenario)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._common import show_when, when
from kiloglot.assistant.skills.timers import schedule_items

Event = dict[str, Any]


class CalendarSkill(Skill):
    scenario = "calendar"

    @handles(
        "calendar_set",
        required=("event_name",),
        optional=("date", "time", "timeofday", "person", "general_frequency", "place_name"),
    )
    def add(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        found = when(frame, ctx)
        moment = found.at or (ctx.now + timedelta(seconds=found.seconds) if found.seconds else None)
        day = found.day
        name = frame.get("event_name") or ""
        day = moment.date() if moment else day or ctx.now.date()
        event = {
            "name": name,
            "at": moment.isoformat() if moment else None,
            "day": day.isoformat(),
            "with": frame.all("person"),
        }
        events: list[Event] = ctx.data("events", [])
        ctx.save("events", sorted([*events, event], key=lambda e: (e["day"], e["at"] or "")))
        shown = show_when(moment, ctx) if moment else ctx.loc.date(day)
        return SkillResult("event_added", {"event": name, "when": shown}, {"event": event})

    @handles("calendar_query", optional=("date", "time", "event_name", "timeofday", "person"))
    def find(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """Events by name and/or day; with neither, the upcoming ones."""
        name, target = self._what(frame, ctx)
        hits = [
            e
            for e in ctx.data("events", [])
            if (not name or name in e["name"].lower())
            and (target is None or e["day"] == target.isoformat())
            and (target is not None or name or e["day"] >= ctx.now.date().isoformat())
        ]
        label = ctx.loc.date(target) if target else ctx.loc.word("words", "upcoming")
        if not hits:
            return SkillResult("events_none", {"day": label})
        shown = [self._show(e, ctx) for e in hits[:5]]
        return SkillResult("events_list", {"day": label, "events": ctx.loc.join(shown)}, {"events": hits})

    @handles("calendar_remove", optional=("event_name", "date", "time", "person"))
    def remove(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """The events of that name, else those of that day."""
        name, target = self._what(frame, ctx)
        events: list[Event] = ctx.data("events", [])
        gone = [
            e
            for e in events
            if (name and name in e["name"].lower())
            or (not name and target is not None and e["day"] == target.isoformat())
        ]
        if not gone:
            named = frame.get("event_name") or (ctx.loc.date(target) if target else "")
            return SkillResult("event_not_found", {"event": named})
        ctx.save("events", [e for e in events if e not in gone])
        return SkillResult("event_removed", {"event": ctx.loc.join([e["name"] for e in gone])}, {"removed": gone})

    @staticmethod
    def _what(frame: Frame, ctx: SkillContext) -> tuple[str, date | None]:
        """(the event name asked for, lower-cased; the day asked for, if any)."""
        found = when(frame, ctx)
        return (frame.get("event_name") or "").lower(), found.day or (found.at.date() if found.at else None)

    @staticmethod
    def _show(e: Event, ctx: SkillContext) -> str:
        if e["at"]:
            return f"{e['name']} ({show_when(datetime.fromisoformat(e['at']).astimezone(ctx.now.tzinfo), ctx)})"
        return f"{e['name']} ({ctx.loc.date(date.fromisoformat(e['day']), 'medium')})"

    def scheduled(self, key: str, value: Any, locale: str) -> list[dict[str, Any]] | None:
        """An event with a time is a reminder at that time."""
        return schedule_items(value or [], lambda e: "reminder") if key == "events" else None
