"""The assistant: arbitration, dialogue state, skills for the 18 MASSIVE scenarios, replies in the
user's language, persistence through SQLAlchemy."""

from kiloglot.assistant.arbiter import Arbiter, ConfidencePolicy, Route
from kiloglot.assistant.dialogue import Assistant, TurnResult, resolve_timezone
from kiloglot.assistant.nlg import REPLY_LOCALES, Localizer
from kiloglot.assistant.providers import Providers
from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult
from kiloglot.assistant.store import Store

__all__ = [
    "REPLY_LOCALES",
    "Arbiter",
    "Assistant",
    "ConfidencePolicy",
    "Frame",
    "IntentSpec",
    "Localizer",
    "Providers",
    "Route",
    "Skill",
    "SkillContext",
    "SkillResult",
    "Store",
    "TurnResult",
    "resolve_timezone",
]
