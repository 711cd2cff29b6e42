"""Cooking: kitchen timers are real; recipes need a provider."""

from __future__ import annotations

from datetime import timedelta

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult
from kiloglot.assistant.skills._service import ask_provider
from kiloglot.assistant.values import read_duration


class CookingSkill(Skill):
    scenario = "cooking"
    intents = {
        "cooking_recipe": IntentSpec(optional=("food_type", "ingredient", "cooking_type", "meal_type", "time")),
        "cooking_query": IntentSpec(optional=("food_type", "meal_type", "time")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        secs = read_duration(" ".join(frame.all("time")) or ctx.text, ctx.loc)
        if secs:
            at = ctx.now + timedelta(seconds=secs)
            timers = ctx.data("timers", [])
            ctx.save("timers", [*timers, {"at": at.isoformat(), "food": frame.get("food_type")}])
            return SkillResult(
                "timer_set",
                {"duration": ctx.loc.duration(secs), "time": ctx.loc.time(at)},
                {"at": at.isoformat(), "seconds": secs},
            )
        return ask_provider("recipes", frame, ctx)
