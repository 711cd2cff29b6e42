"""Cooking: kitchen timers are real; recipes need a provider."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ask_provider
from kiloglot.assistant.skills.timers import start_timer
from kiloglot.assistant.values import read_duration


class CookingSkill(Skill):
    scenario = "cooking"

    @handles("cooking_recipe", optional=("food_type", "ingredient", "cooking_type", "meal_type", "time"))
    @handles("cooking_query", optional=("food_type", "meal_type", "time"))
    def cook(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """A duration makes it a kitchen timer; anything else goes to the recipes provider."""
        secs = read_duration(" ".join(frame.all("time")) or ctx.text, ctx.loc)
        if secs:
            return start_timer(ctx, "timers", secs, food=frame.get("food_type"))
        return ask_provider("recipes", frame, ctx)
