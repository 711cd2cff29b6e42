"""Music taste and player settings, kept per user; what plays comes from the play skill."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles

TASTE = ("music_genre", "artist_name", "song_name", "music_descriptor")


class MusicSkill(Skill):
    scenario = "music"

    @handles("music_likeness", optional=TASTE)
    @handles("music_dislikeness", optional=TASTE)
    def taste(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        what = (
            frame.get("song_name") or frame.get("artist_name") or frame.get("music_genre")
            or frame.get("music_descriptor") or ctx.data("now_playing") or ctx.loc.word("words", "this_song")
        )  # fmt: skip
        key = "likes" if frame.intent == "music_likeness" else "dislikes"
        ctx.save(key, [*ctx.data(key, []), what])
        return SkillResult("music_liked" if key == "likes" else "music_disliked", {"what": what}, {key: what})

    @handles("music_settings", optional=("player_setting", "media_type", "device_type"))
    def settings(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        setting = frame.get("player_setting") or ctx.text
        ctx.save("settings", [*ctx.data("settings", []), setting])
        return SkillResult("music_setting", {"setting": setting}, {"setting": setting})

    @handles("music_query", optional=("artist_name", "music_genre", "song_name"))
    def now_playing(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        playing = ctx.data_of("play", "now_playing")
        if not playing:
            return SkillResult("music_nothing_playing")
        return SkillResult("now_playing", {"title": playing}, {"now_playing": playing})
