"""News headlines from a configured news provider."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles


class NewsSkill(Skill):
    scenario = "news"

    @handles("news_query", optional=("news_topic", "media_type", "place_name", "date", "person"))
    def headlines(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        topic = frame.get("news_topic") or frame.get("place_name") or frame.get("person")
        headlines = ctx.provider("news").headlines(topic, ctx.locale)
        if not headlines:
            return SkillResult("no_answer")
        return SkillResult("headlines", {"headlines": ctx.loc.join(headlines)}, {"headlines": headlines})
