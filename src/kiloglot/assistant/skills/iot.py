"""A simulated smart home whose state persists: lights per room (on, level, colour), smart plugs,
the vacuum cleaner and the coffee machine."""

from __future__ import annotations

from kiloglot.assistant.skill import Frame, IntentSpec, Skill, SkillContext, SkillResult
from kiloglot.assistant.skills._common import place_word
from kiloglot.assistant.values import read_number

STEP = 20


class IotSkill(Skill):
    scenario = "iot"
    intents = {
        "iot_hue_lighton": IntentSpec(optional=("house_place", "device_type")),
        "iot_hue_lightoff": IntentSpec(optional=("house_place", "device_type")),
        "iot_hue_lightup": IntentSpec(optional=("house_place", "change_amount")),
        "iot_hue_lightdim": IntentSpec(optional=("house_place", "change_amount")),
        "iot_hue_lightchange": IntentSpec(optional=("color_type", "house_place", "change_amount")),
        "iot_wemo_on": IntentSpec(optional=("device_type", "house_place")),
        "iot_wemo_off": IntentSpec(optional=("device_type", "house_place")),
        "iot_cleaning": IntentSpec(optional=("device_type", "house_place", "time")),
        "iot_coffee": IntentSpec(optional=("coffee_type", "device_type", "time")),
    }

    def handle(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        home: dict = ctx.data("home", {"lights": {}, "plugs": {}, "vacuum": None, "coffee": None})
        room = place_word(frame, ctx)
        key = room.casefold()
        light = dict(home["lights"].get(key, {"on": False, "level": 100, "color": None}))
        intent = frame.intent
        if intent.startswith("iot_hue"):
            amount = read_number(frame.get("change_amount") or "", ctx.loc)
            if intent == "iot_hue_lighton":
                light["on"], message = True, "lights_on"
            elif intent == "iot_hue_lightoff":
                light["on"], message = False, "lights_off"
            elif intent == "iot_hue_lightchange" and frame.get("color_type"):
                light.update(on=True, color=frame.get("color_type"))
                message = "lights_color"
            else:
                sign = -1 if intent == "iot_hue_lightdim" else 1
                light.update(on=True, level=max(5, min(100, int(light["level"] + sign * (amount or STEP)))))
                message = "lights_level"
            home["lights"][key] = light
            ctx.save("home", home)
            return SkillResult(
                message,
                {"room": room, "level": ctx.loc.percent(light["level"] / 100), "color": light["color"] or ""},
                {"room": room, "light": light},
            )
        if intent in ("iot_wemo_on", "iot_wemo_off"):
            device = frame.get("device_type") or ctx.loc.word("words", "plug")
            home["plugs"][device.casefold()] = intent == "iot_wemo_on"
            ctx.save("home", home)
            return SkillResult(
                "plug_on" if intent == "iot_wemo_on" else "plug_off",
                {"device": device},
                {"device": device, "on": intent == "iot_wemo_on"},
            )
        if intent == "iot_cleaning":
            home["vacuum"] = {"cleaning": room}
            ctx.save("home", home)
            return SkillResult("cleaning_started", {"room": room}, {"vacuum": home["vacuum"]})
        coffee = frame.get("coffee_type") or ctx.loc.word("words", "coffee")
        home["coffee"] = {"brewing": coffee, "at": ctx.now.isoformat()}
        ctx.save("home", home)
        return SkillResult("coffee_started", {"coffee": coffee}, {"coffee": home["coffee"]})
