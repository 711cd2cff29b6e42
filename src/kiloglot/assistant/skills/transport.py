"""Public transport, tickets, taxis and traffic through a configured provider."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._service import ServiceSkill


class TransportSkill(ServiceSkill):
    scenario = "transport"
    service = "transport"

    @handles("transport_query", optional=("place_name", "transport_type", "date", "time"))
    @handles("transport_ticket", optional=("transport_type", "place_name", "date", "time"))
    @handles("transport_taxi", optional=("transport_type", "transport_agency", "place_name", "time"))
    @handles("transport_traffic", optional=("place_name", "date", "timeofday"))
    def answer(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        return self.ask_service(frame, ctx)
