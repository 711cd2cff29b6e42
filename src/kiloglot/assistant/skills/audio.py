"""Output volume of the (simulated) speaker, 0-100 %, kept per user."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult
from kiloglot.assistant.values import read_number

STEP = 10


class AudioSkill(Skill):
    scenario = "audio"
    intents = {
        "audio_volume_up": IntentSpec(optional=("change_amount", "device_type")),
        "audio_volume_down": IntentSpec(optional=("change_amount", "device_type")),
        "audio_volume_mute": IntentSpec(optional=("device_type", "time")),
        "audio_volume_other": IntentSpec(optional=("change_amount",)),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        level = int(ctx.data("volume", 50))
        if frame.intent == "audio_volume_mute":
            ctx.save("muted_from", level)
            ctx.save("volume", 0)
            return SkillResult("volume_muted", data={"volume": 0})
        amount = read_number(frame.get("change_amount") or "", ctx.loc)
        if frame.intent == "audio_volume_other":
            level = max(0, min(100, int(amount))) if amount is not None else level
        else:
            sign = 1 if frame.intent == "audio_volume_up" else -1
            level = max(0, min(100, level + sign * int(amount if amount is not None else STEP)))
        ctx.save("volume", level)
        return SkillResult("volume_set", {"level": ctx.loc.percent(level / 100)}, {"volume": level})
