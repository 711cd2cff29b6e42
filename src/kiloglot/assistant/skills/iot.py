"""A simulated smart home whose state persists: lights per room (on, level, colour), smart plugs,
the vacuum cleaner and the coffee machine."""

from __future__ import annotations

import copy
from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles
from kiloglot.assistant.skills._common import place_word
from kiloglot.assistant.values import read_number

STEP = 20
EMPTY_HOME: dict[str, Any] = {"lights": {}, "plugs": {}, "vacuum": None, "coffee": None}


class IotSkill(Skill):
    scenario = "iot"

    @handles("iot_hue_lighton", optional=("house_place", "device_type"))
    @handles("iot_hue_lightoff", optional=("house_place", "device_type"))
    @handles("iot_hue_lightup", optional=("house_place", "change_amount"))
    @handles("iot_hue_lightdim", optional=("house_place", "change_amount"))
    @handles("iot_hue_lightchange", optional=("color_type", "house_place", "change_amount"))
    def lights(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        home = self._home(ctx)
        room = place_word(frame, ctx)
        light = dict(home["lights"].get(room.casefold(), {"on": False, "level": 100, "color": None}))
        intent = frame.intent
        if intent == "iot_hue_lighton":
            light["on"], message = True, "lights_on"
        elif intent == "iot_hue_lightoff":
            light["on"], message = False, "lights_off"
        elif intent == "iot_hue_lightchange" and frame.get("color_type"):
            light.update(on=True, color=frame.get("color_type"))
            message = "lights_color"
        else:
            amount = read_number(frame.get("change_amount") or "", ctx.loc)
            sign = -1 if intent == "iot_hue_lightdim" else 1
            light.update(on=True, level=max(5, min(100, int(light["level"] + sign * (amount or STEP)))))
            message = "lights_level"
        home["lights"][room.casefold()] = light
        ctx.save("home", home)
        values = {"room": room, "level": ctx.loc.percent(light["level"] / 100), "color": light["color"] or ""}
        return SkillResult(message, values, {"room": room, "light": light})

    @handles("iot_wemo_on", optional=("device_type", "house_place"))
    @handles("iot_wemo_off", optional=("device_type", "house_place"))
    def plug(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        home = self._home(ctx)
        on = frame.intent == "iot_wemo_on"
        device = frame.get("device_type") or ctx.loc.word("words", "plug")
        home["plugs"][device.casefold()] = on
        ctx.save("home", home)
        return SkillResult("plug_on" if on else "plug_off", {"device": device}, {"device": device, "on": on})

    @handles("iot_cleaning", optional=("device_type", "house_place", "time"))
    def clean(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        home = self._home(ctx)
        room = place_word(frame, ctx)
        home["vacuum"] = {"cleaning": room}
        ctx.save("home", home)
        return SkillResult("cleaning_started", {"room": room}, {"vacuum": home["vacuum"]})

    @handles("iot_coffee", optional=("coffee_type", "device_type", "time"))
    def coffee(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        home = self._home(ctx)
        coffee = frame.get("coffee_type") or ctx.loc.word("words", "coffee")
        home["coffee"] = {"brewing": coffee, "at": ctx.now.isoformat()}
        ctx.save("home", home)
        return SkillResult("coffee_started", {"coffee": coffee}, {"coffee": home["coffee"]})

    @staticmethod
    def _home(ctx: SkillContext) -> dict[str, Any]:
        return copy.deepcopy(ctx.data("home", EMPTY_HOME))  # changed, then saved: undo keeps the old one
