"""Play music, radio, podcasts, audiobooks from the user's media folder (the offline provider)."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles

_QUERY_SLOTS = (
    "song_name", "artist_name", "playlist_name", "music_genre", "radio_name", "podcast_name", "podcast_descriptor",
    "audiobook_name", "audiobook_author", "game_name",
)  # fmt: skip


class PlaySkill(Skill):
    scenario = "play"

    @handles("play_music", optional=("song_name", "artist_name", "playlist_name", "music_genre"))
    @handles("play_radio", optional=("radio_name", "app_name", "music_genre"))
    @handles("play_podcasts", optional=("podcast_name", "podcast_descriptor", "player_setting"))
    @handles("play_audiobook", optional=("audiobook_name", "audiobook_author", "player_setting"))
    def play(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        media = ctx.provider("media")
        query = " ".join(v for s in _QUERY_SLOTS for v in frame.all(s))
        hits = media.find(query) if query else []
        if not hits:
            return SkillResult("media_not_found", {"query": query or ctx.text})
        title = hits[0].stem
        ctx.save("now_playing", title)
        return SkillResult("playing", {"title": title}, {"file": str(hits[0]), "queue": [str(h) for h in hits[:20]]})

    @handles("play_game", optional=("game_name", "game_type"))
    def play_game(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        ctx.provider("games")  # games need their own provider before the media folder is searched
        return self.play(frame, ctx)
