"""Skills that are a front for an outside service: ask the provider, say when none is configured."""

from __future__ import annotations

from ..skill import Frame, Skill, SkillContext, SkillResult


class ServiceSkill(Skill):
    service: str

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        answer = ctx.provider(self.service).answer(frame.intent, frame.slots, ctx.text, ctx.locale)
        return SkillResult("answer", {"answer": answer}, {"answer": answer}) if answer else SkillResult("no_answer")
