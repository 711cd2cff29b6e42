"""Play music, radio, podcasts, audiobooks from the user's media folder (the offline provider)."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult

_QUERY_SLOTS = (
    "song_name",
    "artist_name",
    "playlist_name",
    "music_genre",
    "radio_name",
    "podcast_name",
    "podcast_descriptor",
    "audiobook_name",
    "audiobook_author",
    "game_name",
)


class PlaySkill(Skill):
    scenario = "play"
    intents = {
        "play_music": IntentSpec(optional=("song_name", "artist_name", "playlist_name", "music_genre")),
        "play_radio": IntentSpec(optional=("radio_name", "app_name", "music_genre")),
        "play_podcasts": IntentSpec(optional=("podcast_name", "podcast_descriptor", "player_setting")),
        "play_audiobook": IntentSpec(optional=("audiobook_name", "audiobook_author", "player_setting")),
        "play_game": IntentSpec(optional=("game_name", "game_type")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        if frame.intent == "play_game":
            ctx.provider("games")
        media = ctx.provider("media")
        query = " ".join(v for s in _QUERY_SLOTS for v in frame.all(s))
        hits = media.find(query) if query else []
        if not hits:
            return SkillResult("media_not_found", {"query": query or ctx.text})
        title = hits[0].stem
        ctx.save("now_playing", title)
        return SkillResult("playing", {"title": title}, {"file": str(hits[0]), "queue": [str(h) for h in hits[:20]]})
