"""Date and time: now, here or in a named place, and conversions between places (zoneinfo + CLDR names).

Places are found in CLDR's localized exemplar-city and country names, so 'Tokio', '東京' and
'Tokyo' all reach Asia/Tokyo.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.core import get_global

from kiloglot.assistant.nlg import Localizer, babel_locale
from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.values import read_date, read_time

ABBREVIATIONS = {
    "utc": "UTC",
    "gmt": "UTC",
    "est": "America/New_York",
    "edt": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "cet": "Europe/Paris",
    "bst": "Europe/London",
    "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "aest": "Australia/Sydney",
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "pacific": "America/Los_Angeles",
}


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip(" ?.!,。？")


@cache
def place_index(locale: str) -> dict[str, str]:
    """Localized (and English) city, country and metazone names -> IANA zone."""
    known = available_timezones()
    index: dict[str, str] = {}
    meta_of = get_global("meta_zones")
    territory_zones = get_global("territory_zones")
    for loc in {babel_locale("en-US"), babel_locale(locale)}:
        for code, zones in territory_zones.items():
            name = loc.territories.get(code)
            if name and zones and zones[0] in known:
                index.setdefault(_key(name), zones[0])
        for zone in known:
            city = (loc.time_zones.get(zone) or {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
            index[_key(city)] = zone
        for zone, meta in meta_of.items():
            names = loc.meta_zones.get(meta) or {}
            for width in ("long", "short"):
                for kind in ("generic", "standard"):
                    n = (names.get(width) or {}).get(kind)
                    if n and zone in known:
                        index.setdefault(_key(n), zone)
    return index


def find_zone(text: str | None, loc: Localizer) -> str | None:
    if not text:
        return None
    key = _key(text)
    if key in ABBREVIATIONS:
        return ABBREVIATIONS[key]
    index = place_index(loc.locale)
    if key in index:
        return index[key]
    for word in key.split():  # "new york city" / "london time"
        if word in ABBREVIATIONS:
            return ABBREVIATIONS[word]
    hits = [(len(name), zone) for name, zone in index.items() if len(name) > 2 and name in key]
    return max(hits)[1] if hits else None


class DateTimeSkill(Skill):
    scenario = "datetime"

    @handles("datetime_convert", optional=("place_name", "time_zone", "time"))
    def convert(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """A time in one place as a time in another; with fewer than two places, the time there or here."""
        places = frame.all("place_name") + frame.all("time_zone")
        if len(places) < 2:
            return self.now(frame, ctx)
        loc = ctx.loc
        src, dst = find_zone(places[0], loc), find_zone(places[1], loc)
        if src is None or dst is None:
            return SkillResult("unknown_place", {"place": places[0] if src is None else places[1]})
        at = read_time(frame.get("time") or "", loc) or ctx.now.time()
        start = datetime.combine(ctx.now.date(), at, tzinfo=ZoneInfo(src))
        end = start.astimezone(ZoneInfo(dst))
        return SkillResult(
            "time_convert",
            {"time": loc.time(start), "from_place": places[0], "to_time": loc.time(end), "to_place": places[1]},
            {"from": start.isoformat(), "to": end.isoformat()},
        )

    @handles("datetime_query", optional=("place_name", "time_zone", "date", "time", "event_name"))
    def now(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """The time in a named place, the date of a named day, else the time and date here."""
        places = frame.all("place_name") + frame.all("time_zone")
        loc = ctx.loc
        if places:
            zone = find_zone(places[0], loc)
            if zone is None:
                return SkillResult("unknown_place", {"place": places[0]})
            now = ctx.now.astimezone(ZoneInfo(zone))
            return SkillResult(
                "time_in",
                {"place": places[0], "time": loc.time(now), "date": loc.date(now)},
                {"zone": zone, "now": now.isoformat()},
            )
        day = read_date(frame.get("date") or "", loc, ctx.now.date()) if frame.get("date") else None
        if day is not None and day != ctx.now.date():
            return SkillResult("date_is", {"date": loc.date(day)}, {"date": day.isoformat()})
        return SkillResult(
            "time_now", {"time": loc.time(ctx.now), "date": loc.date(ctx.now)}, {"now": ctx.now.isoformat()}
        )
