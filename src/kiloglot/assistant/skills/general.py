"""Small talk: greetings, a joke, and a friendly answer to quirky questions."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles


class GeneralSkill(Skill):
    scenario = "general"

    @handles("general_greet")
    def greet(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return SkillResult("greet")

    @handles("general_joke", optional=("joke_type",))
    def joke(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        ctx.save("jokes_told", int(ctx.data("jokes_told", 0)) + 1)
        return SkillResult("joke")

    @handles("general_quirky")
    def quirky(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return SkillResult("quirky")
