"""Social networks: posting and reading through a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import IntentSpec
from kiloglot.assistant.skills._service import ServiceSkill


class SocialSkill(ServiceSkill):
    scenario = "social"
    service = "social"
    intents = {
        "social_post": IntentSpec(optional=("media_type", "business_name", "person", "event_name")),
        "social_query": IntentSpec(optional=("media_type", "person", "date")),
    }
