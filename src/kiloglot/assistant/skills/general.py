"""Small talk: greetings, a joke, and a friendly answer to quirky questions."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult


class GeneralSkill(Skill):
    scenario = "general"
    intents = {
        "general_greet": IntentSpec(),
        "general_joke": IntentSpec(optional=("joke_type",)),
        "general_quirky": IntentSpec(),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        told = int(ctx.data("jokes_told", 0))
        if frame.intent == "general_joke":
            ctx.save("jokes_told", told + 1)
            return SkillResult("joke")
        return SkillResult("greet" if frame.intent == "general_greet" else "quirky")
