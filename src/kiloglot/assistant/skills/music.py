"""Music taste and player settings, kept per user; what plays comes from the play skill."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult


class MusicSkill(Skill):
    scenario = "music"
    intents = {
        "music_likeness": IntentSpec(optional=("music_genre", "artist_name", "song_name", "music_descriptor")),
        "music_dislikeness": IntentSpec(optional=("music_genre", "artist_name", "song_name", "music_descriptor")),
        "music_query": IntentSpec(optional=("artist_name", "music_genre", "song_name")),
        "music_settings": IntentSpec(optional=("player_setting", "media_type", "device_type")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        what = (
            frame.get("song_name")
            or frame.get("artist_name")
            or frame.get("music_genre")
            or frame.get("music_descriptor")
        )
        if frame.intent in ("music_likeness", "music_dislikeness"):
            key = "likes" if frame.intent == "music_likeness" else "dislikes"
            what = what or ctx.data("now_playing") or ctx.loc.word("words", "this_song")
            ctx.save(key, [*ctx.data(key, []), what])
            return SkillResult("music_liked" if key == "likes" else "music_disliked", {"what": what}, {key: what})
        if frame.intent == "music_settings":
            setting = frame.get("player_setting") or ctx.text
            ctx.save("settings", [*ctx.data("settings", []), setting])
            return SkillResult("music_setting", {"setting": setting}, {"setting": setting})
        playing = ctx.data_of("play", "now_playing")
        if not playing:
            return SkillResult("music_nothing_playing")
        return SkillResult("now_playing", {"title": playing}, {"now_playing": playing})
