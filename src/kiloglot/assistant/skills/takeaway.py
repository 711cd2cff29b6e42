"""Takeaway orders and their status through a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import IntentSpec
from kiloglot.assistant.skills._service import ServiceSkill


class TakeawaySkill(ServiceSkill):
    scenario = "takeaway"
    service = "takeaway"
    intents = {
        "takeaway_order": IntentSpec(optional=("food_type", "business_name", "order_type", "business_type")),
        "takeaway_query": IntentSpec(optional=("order_type", "business_name", "business_type", "food_type")),
    }
