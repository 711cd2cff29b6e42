"""Weather from a configured provider, with the temperature in the locale's unit (CLDR)."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.values import read_date

FAHRENHEIT_TERRITORIES = {"US", "LR", "BS", "BZ", "KY", "PW", "FM", "MH"}


class WeatherSkill(Skill):
    scenario = "weather"

    @handles("weather_query", optional=("place_name", "date", "weather_descriptor", "timeofday", "time"))
    def forecast(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        day = read_date(frame.get("date") or "", ctx.loc, ctx.now.date()) or ctx.now.date()
        report = ctx.provider("weather").forecast(frame.get("place_name"), day)
        celsius = float(report["temperature_c"])
        if ctx.loc.babel.territory in FAHRENHEIT_TERRITORIES:
            temp = ctx.loc.unit(round(celsius * 9 / 5 + 32), "temperature-fahrenheit")
        else:
            temp = ctx.loc.unit(round(celsius), "temperature-celsius")
        place = frame.get("place_name") or ctx.loc.word("words", "here")
        return SkillResult(
            "weather_report",
            {
                "day": ctx.loc.date(day, "medium"),
                "place": place,
                "temperature": temp,
                "condition": report.get("condition", ""),
            },
            {"day": day.isoformat(), **report},
        )
