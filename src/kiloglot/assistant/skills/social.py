"""Social networks: posting and reading through a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ServiceSkill


class SocialSkill(ServiceSkill):
    scenario = "social"
    service = "social"

    @handles("social_post", optional=("media_type", "business_name", "person", "event_name"))
    @handles("social_query", optional=("media_type", "person", "date"))
    def answer(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return self.ask_service(frame, ctx)
