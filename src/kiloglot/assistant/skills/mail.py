"""Email through a local Maildir (the keyless offline provider) and a contact book kept per user."""

from __future__ import annotations

from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles


def _person(frame: Frame) -> str:
    return frame.get("person") or frame.get("relation") or ""


class EmailSkill(Skill):
    scenario = "email"

    @handles("email_addcontact", required=("person",), optional=("email_address", "personal_info", "relation"))
    def add_contact(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        person = _person(frame)
        entry = {"name": person, "email": frame.get("email_address") or ""}
        ctx.save("contacts", {**ctx.data("contacts", {}), person.casefold(): entry})
        return SkillResult("contact_added", {"person": person}, {"contact": entry})

    @handles("email_querycontact", required=("person",), optional=("personal_info", "relation"))
    def contact(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        person = _person(frame)
        entry = ctx.data("contacts", {}).get(person.casefold())
        if not entry:
            return SkillResult("contact_unknown", {"person": person})
        return SkillResult(
            "contact_info", {"person": entry["name"], "info": entry.get("email") or "-"}, {"contact": entry}
        )

    @handles(
        "email_sendemail", required=("person",), optional=("relation", "email_address", "event_name", "date", "time")
    )
    def send(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        person = _person(frame)
        contacts: dict[str, dict[str, Any]] = ctx.data("contacts", {})
        address = frame.get("email_address") or (contacts.get(person.casefold()) or {}).get("email") or person
        ctx.provider("email").send(address, frame.get("event_name") or "", ctx.text)
        return SkillResult("email_sent", {"person": person}, {"to": address})

    @handles("email_query", optional=("person", "relation", "email_folder", "date", "time"))
    def inbox(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        mails = ctx.provider("email").inbox(sender=_person(frame) or None)
        if not mails:
            return SkillResult("email_none")
        shown = [f"{m.sender}: {m.subject}" for m in mails]
        return SkillResult("email_list", {"mails": ctx.loc.join(shown)}, {"mails": [m.__dict__ for m in mails]})
