"""Which skill answers a parse, and whether to answer, confirm, ask to rephrase or fall back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kiloglot.assistant.skill import Skill
from kiloglot.errors import InputError
from kiloglot.nlu.parse import Parse

Action = Literal["answer", "confirm", "rephrase", "fallback"]


@dataclass(frozen=True)
class ConfidencePolicy:
    """Thresholds on the parser's (calibrated) intent probability.

    At or above ``answer``: act. Above ``confirm``: ask "did you mean ...?". Above ``rephrase``: ask the
    user to say it another way. Below: fall back. The scenario's probability (the sum over its intents
    in the top-k) also counts: a sure scenario with an unsure intent is confirmed, not rephrased.
    """

    answer: float = 0.5
    confirm: float = 0.3
    rephrase: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.rephrase <= self.confirm <= self.answer <= 1.0:
            raise InputError(f"confidence policy {self}: expected 0 <= rephrase <= confirm <= answer <= 1")

    def decide(self, intent_p: float, scenario_p: float) -> Action:
        if intent_p >= self.answer:
            return "answer"
        if intent_p >= self.confirm or scenario_p >= self.answer:
            return "confirm"
        if intent_p >= self.rephrase:
            return "rephrase"
        return "fallback"


@dataclass(frozen=True)
class Route:
    action: Action
    intent: str
    skill: Skill | None
    confidence: float
    scenario_confidence: float


class Arbiter:
    def __init__(self, skills: list[Skill], policy: ConfidencePolicy | None = None) -> None:
        self.policy = policy or ConfidencePolicy()
        self.by_intent: dict[str, Skill] = {}
        for skill in skills:
            for intent in skill.intents:
                if intent in self.by_intent:
                    raise InputError(
                        f"intent {intent!r} is claimed by two skills: "
                        f"{type(self.by_intent[intent]).__name__} and {type(skill).__name__}"
                    )
                self.by_intent[intent] = skill
        self.skills = skills

    def skill_for(self, intent: str) -> Skill | None:
        return self.by_intent.get(intent)

    def skill_of_scenario(self, scenario: str) -> Skill | None:
        return next((s for s in self.skills if s.scenario == scenario), None)

    def route(self, parse: Parse) -> Route:
        skill = self.by_intent.get(parse.intent)
        alternatives = parse.alternatives or ((parse.intent, parse.confidence),)
        scenario_p = sum(p for i, p in alternatives if i.split("_", 1)[0] == parse.scenario)
        if skill is None:
            return Route("fallback", parse.intent, None, parse.confidence, scenario_p)
        action = self.policy.decide(parse.confidence, max(scenario_p, parse.confidence))
        return Route(action, parse.intent, skill, parse.confidence, scenario_p)
