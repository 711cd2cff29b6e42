"""Public transport, tickets, taxis and traffic through a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import IntentSpec
from kiloglot.assistant.skills._service import ServiceSkill


class TransportSkill(ServiceSkill):
    scenario = "transport"
    service = "transport"
    intents = {
        "transport_query": IntentSpec(optional=("place_name", "transport_type", "date", "time")),
        "transport_ticket": IntentSpec(optional=("transport_type", "place_name", "date", "time")),
        "transport_taxi": IntentSpec(optional=("transport_type", "transport_agency", "place_name", "time")),
        "transport_traffic": IntentSpec(optional=("place_name", "date", "timeofday")),
    }
