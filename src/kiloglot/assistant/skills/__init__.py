"""One skill per MASSIVE scenario (18)."""

from __future__ import annotations

from kiloglot.assistant.skill import Skill
from kiloglot.assistant.skills.agenda import CalendarSkill
from kiloglot.assistant.skills.alarm import AlarmSkill
from kiloglot.assistant.skills.audio import AudioSkill
from kiloglot.assistant.skills.cooking import CookingSkill
from kiloglot.assistant.skills.general import GeneralSkill
from kiloglot.assistant.skills.iot import IotSkill
from kiloglot.assistant.skills.lists import ListsSkill
from kiloglot.assistant.skills.mail import EmailSkill
from kiloglot.assistant.skills.music import MusicSkill
from kiloglot.assistant.skills.news import NewsSkill
from kiloglot.assistant.skills.play import PlaySkill
from kiloglot.assistant.skills.qa import QaSkill
from kiloglot.assistant.skills.recommendation import RecommendationSkill
from kiloglot.assistant.skills.social import SocialSkill
from kiloglot.assistant.skills.takeaway import TakeawaySkill
from kiloglot.assistant.skills.time_and_date import DateTimeSkill
from kiloglot.assistant.skills.transport import TransportSkill
from kiloglot.assistant.skills.weather import WeatherSkill

SKILL_CLASSES: tuple[type[Skill], ...] = (
    AlarmSkill,
    AudioSkill,
    CalendarSkill,
    CookingSkill,
    DateTimeSkill,
    EmailSkill,
    GeneralSkill,
    IotSkill,
    ListsSkill,
    MusicSkill,
    NewsSkill,
    PlaySkill,
    QaSkill,
    RecommendationSkill,
    SocialSkill,
    TakeawaySkill,
    TransportSkill,
    WeatherSkill,
)


def default_skills() -> list[Skill]:
    return [cls() for cls in SKILL_CLASSES]
