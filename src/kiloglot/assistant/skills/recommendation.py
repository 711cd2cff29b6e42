"""Recommendations (events, places, films) from a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import IntentSpec
from kiloglot.assistant.skills._service import ServiceSkill


class RecommendationSkill(ServiceSkill):
    scenario = "recommendation"
    service = "recommendations"
    intents = {
        "recommendation_events": IntentSpec(optional=("place_name", "date", "event_name", "timeofday")),
        "recommendation_locations": IntentSpec(optional=("business_type", "place_name", "food_type")),
        "recommendation_movies": IntentSpec(optional=("movie_name", "movie_type", "place_name", "date")),
    }
