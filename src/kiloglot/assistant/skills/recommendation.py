"""Recommendations (events, places, films) from a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ServiceSkill


class RecommendationSkill(ServiceSkill):
    scenario = "recommendation"
    service = "recommendations"

    @handles("recommendation_events", optional=("place_name", "date", "event_name", "timeofday"))
    @handles("recommendation_locations", optional=("business_type", "place_name", "food_type"))
    @handles("recommendation_movies", optional=("movie_name", "movie_type", "place_name", "date"))
    def answer(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return self.ask_service(frame, ctx)
