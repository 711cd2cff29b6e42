"""Email through a local Maildir (the keyless offline provider) and a contact book kept per user."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult


class EmailSkill(Skill):
    scenario = "email"
    intents = {
        "email_query": IntentSpec(optional=("person", "relation", "email_folder", "date", "time")),
        "email_sendemail": IntentSpec(
            required=("person",), optional=("relation", "email_address", "event_name", "date", "time")
        ),
        "email_addcontact": IntentSpec(required=("person",), optional=("email_address", "personal_info", "relation")),
        "email_querycontact": IntentSpec(required=("person",), optional=("personal_info", "relation")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        person = frame.get("person") or frame.get("relation") or ""
        contacts: dict[str, dict] = ctx.data("contacts", {})
        if frame.intent == "email_addcontact":
            entry = {"name": person, "email": frame.get("email_address") or ""}
            ctx.save("contacts", {**contacts, person.casefold(): entry})
            return SkillResult("contact_added", {"person": person}, {"contact": entry})
        if frame.intent == "email_querycontact":
            entry = contacts.get(person.casefold())
            if not entry:
                return SkillResult("contact_unknown", {"person": person})
            return SkillResult(
                "contact_info", {"person": entry["name"], "info": entry.get("email") or "-"}, {"contact": entry}
            )
        box = ctx.provider("email")
        if frame.intent == "email_sendemail":
            address = frame.get("email_address") or (contacts.get(person.casefold()) or {}).get("email") or person
            box.send(address, frame.get("event_name") or "", ctx.text)
            return SkillResult("email_sent", {"person": person}, {"to": address})
        mails = box.inbox(sender=person or None)
        if not mails:
            return SkillResult("email_none")
        shown = [f"{m.sender}: {m.subject}" for m in mails]
        return SkillResult("email_list", {"mails": ctx.loc.join(shown)}, {"mails": [m.__dict__ for m in mails]})
