"""Output volume of the (simulated) speaker, 0-100 %, kept per user."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.values import read_number

STEP = 10


class AudioSkill(Skill):
    scenario = "audio"

    @handles("audio_volume_mute", optional=("device_type", "time"))
    def mute(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        ctx.save("muted_from", int(ctx.data("volume", 50)))
        ctx.save("volume", 0)
        return SkillResult("volume_muted", data={"volume": 0})

    @handles("audio_volume_up", optional=("change_amount", "device_type"))
    @handles("audio_volume_down", optional=("change_amount", "device_type"))
    def step(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        amount = read_number(frame.get("change_amount") or "", ctx.loc)
        sign = 1 if frame.intent == "audio_volume_up" else -1
        return self._set(ctx, int(ctx.data("volume", 50)) + sign * int(amount if amount is not None else STEP))

    @handles("audio_volume_other", optional=("change_amount",))
    def set_level(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        amount = read_number(frame.get("change_amount") or "", ctx.loc)
        return self._set(ctx, int(amount) if amount is not None else int(ctx.data("volume", 50)))

    @staticmethod
    def _set(ctx: SkillContext, level: int) -> SkillResult:
        level = max(0, min(100, level))
        ctx.save("volume", level)
        return SkillResult("volume_set", {"level": ctx.loc.percent(level / 100)}, {"volume": level})
