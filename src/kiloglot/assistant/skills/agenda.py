"""A calendar of events and reminders per user."""

from __future__ import annotations

from datetime import date, datetime

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult
from kiloglot.assistant.skills._common import show_when, when


class CalendarSkill(Skill):
    scenario = "calendar"
    intents = {
        "calendar_set": IntentSpec(
            required=("event_name",),
            optional=("date", "time", "timeofday", "person", "general_frequency", "place_name"),
        ),
        "calendar_query": IntentSpec(optional=("date", "time", "event_name", "timeofday", "person")),
        "calendar_remove": IntentSpec(optional=("event_name", "date", "time", "person")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        events: list[dict] = ctx.data("events", [])
        moment, day = when(frame, ctx)
        if frame.intent == "calendar_set":
            name = frame.get("event_name") or ""
            if moment is None and day is None:
                day = ctx.now.date()
            event = {
                "name": name,
                "at": moment.isoformat() if moment else None,
                "day": (moment.date() if moment else day).isoformat(),
                "with": frame.all("person"),
            }
            ctx.save("events", sorted([*events, event], key=lambda e: (e["day"], e["at"] or "")))
            shown = show_when(moment, ctx) if moment else ctx.loc.date(day)
            return SkillResult("event_added", {"event": name, "when": shown}, {"event": event})
        if frame.intent == "calendar_query":
            name = (frame.get("event_name") or "").lower()
            target = day or (moment.date() if moment else None)
            hits = [
                e
                for e in events
                if (not name or name in e["name"].lower())
                and (target is None or e["day"] == target.isoformat())
                and (target is not None or name or e["day"] >= ctx.now.date().isoformat())
            ]
            label = ctx.loc.date(target) if target else ctx.loc.word("words", "upcoming")
            if not hits:
                return SkillResult("events_none", {"day": label})
            shown = [self._show(e, ctx) for e in hits[:5]]
            return SkillResult("events_list", {"day": label, "events": ctx.loc.join(shown)}, {"events": hits})
        name = (frame.get("event_name") or "").lower()
        target = day or (moment.date() if moment else None)
        gone = [
            e
            for e in events
            if (name and name in e["name"].lower())
            or (not name and target is not None and e["day"] == target.isoformat())
        ]
        if not gone:
            return SkillResult(
                "event_not_found", {"event": frame.get("event_name") or (ctx.loc.date(target) if target else "")}
            )
        ctx.save("events", [e for e in events if e not in gone])
        return SkillResult("event_removed", {"event": ctx.loc.join([e["name"] for e in gone])}, {"removed": gone})

    @staticmethod
    def _show(e: dict, ctx: SkillContext) -> str:
        if e["at"]:
            return f"{e['name']} ({show_when(datetime.fromisoformat(e['at']).astimezone(ctx.now.tzinfo), ctx)})"
        return f"{e['name']} ({ctx.loc.date(date.fromisoformat(e['day']), 'medium')})"
