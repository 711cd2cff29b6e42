"""Takeaway orders and their status through a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ServiceSkill


class TakeawaySkill(ServiceSkill):
    scenario = "takeaway"
    service = "takeaway"

    @handles("takeaway_order", optional=("food_type", "business_name", "order_type", "business_type"))
    @handles("takeaway_query", optional=("order_type", "business_name", "business_type", "food_type"))
    def answer(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return self.ask_service(frame, ctx)
