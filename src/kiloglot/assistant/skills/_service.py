"""Skills that are a front for an outside service: ask the provider, say when none is configured."""

from __future__ import annotations

from typing import ClassVar

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult


def ask_provider(service: str, frame: Frame, ctx: SkillContext) -> SkillResult:
    """The provider's answer, or "no answer"; NotConfigured when no provider is set for the service."""
    answer = ctx.provider(service).answer(frame.intent, frame.slots, ctx.text, ctx.locale)
    return SkillResult("answer", {"answer": answer}, {"answer": answer}) if answer else SkillResult("no_answer")


class ServiceSkill(Skill):
    """Every intent it declares is answered by the provider of ``service``."""

    service: ClassVar[str]

    def ask_service(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return ask_provider(self.service, frame, ctx)
