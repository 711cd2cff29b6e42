"""One skill per MASSIVE scenario (18)."""

from __future__ import annotations

from ..skill import Skill
from .alarm import AlarmSkill
from .audio import AudioSkill
from .agenda import CalendarSkill
from .cooking import CookingSkill
from .time_and_date import DateTimeSkill
from .mail import EmailSkill
from .general import GeneralSkill
from .iot import IotSkill
from .lists import ListsSkill
from .music import MusicSkill
from .news import NewsSkill
from .play import PlaySkill
from .qa import QaSkill
from .recommendation import RecommendationSkill
from .social import SocialSkill
from .takeaway import TakeawaySkill
from .transport import TransportSkill
from .weather import WeatherSkill

SKILL_CLASSES: tuple[type[Skill], ...] = (
    AlarmSkill, AudioSkill, CalendarSkill, CookingSkill, DateTimeSkill, EmailSkill, GeneralSkill, IotSkill,
    ListsSkill, MusicSkill, NewsSkill, PlaySkill, QaSkill, RecommendationSkill, SocialSkill, TakeawaySkill,
    TransportSkill, WeatherSkill)


def default_skills() -> list[Skill]:
    return [cls() for cls in SKILL_CLASSES]
