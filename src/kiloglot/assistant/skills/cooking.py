"""Cooking: kitchen timers are real; recipes need a provider."""

from __future__ import annotations

from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ask_provider
from kiloglot.assistant.skills.timers import schedule_items, start_timer
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

    def scheduled(self, key: str, value: Any, locale: str) -> list[dict[str, Any]] | None:
        return schedule_items(value or [], lambda t: "timer") if key == "timers" else None
