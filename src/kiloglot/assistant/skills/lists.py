"""Named lists (shopping, to-do...) per user: create, add, read, remove items, delete."""

from __future__ import annotations

import re
from typing import Any

from kiloglot.assistant.skill import Frame, Skill, SkillContext, SkillResult, handles


def _item_from_text(frame: Frame, ctx: SkillContext) -> str | None:
    """'add milk to my shopping list' -> 'milk', by the locale's 'add X to' patterns, when the locale has them."""
    for pattern in ctx.loc.lexicon("add_item_patterns"):
        m = re.search(pattern, ctx.text, flags=re.IGNORECASE)
        if m and m.group("item").strip():
            return m.group("item").strip()
    return None


class ListsSkill(Skill):
    scenario = "lists"

    @handles("lists_createoradd", required=("list_name",), optional=("item", "date"))
    def create_or_add(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        lists: dict[str, dict[str, Any]] = ctx.data("lists", {})
        name = frame.get("list_name")
        key = name.casefold() if name else None
        entry = lists.get(key, {"name": name, "items": []}) if key else {"name": name, "items": []}
        item = frame.get("item") or _item_from_text(frame, ctx)
        if item is None and key in lists:
            return SkillResult.question("item", list=entry["name"])
        if item:
            entry = {**entry, "items": [*entry["items"], item]}
        ctx.save("lists", {**lists, key: entry})
        if item:
            return SkillResult("list_added", {"item": item, "list": entry["name"]}, {"list": entry})
        return SkillResult("list_created", {"list": entry["name"]}, {"list": entry})

    @handles("lists_query", optional=("list_name", "date"))
    def read(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        lists: dict[str, dict[str, Any]] = ctx.data("lists", {})
        name = frame.get("list_name")
        if name is None:
            names = [v["name"] for v in lists.values()]
            return SkillResult("lists_all", {"lists": ctx.loc.join(names) or "-"}, {"lists": names})
        entry = lists.get(name.casefold())
        if entry is None:
            return SkillResult("list_unknown", {"list": name})
        if not entry["items"]:
            return SkillResult("list_empty", {"list": entry["name"]}, {"list": entry})
        return SkillResult(
            "list_items", {"list": entry["name"], "items": ctx.loc.join(entry["items"])}, {"list": entry}
        )

    @handles("lists_remove", optional=("list_name", "item"))
    def remove(self, frame: Frame, ctx: SkillContext) -> SkillResult:
        """An item from a list when one is named and on it, else the whole list."""
        lists: dict[str, dict[str, Any]] = ctx.data("lists", {})
        name = frame.get("list_name")
        key = name.casefold() if name else None
        if key is None or key not in lists:
            return SkillResult("list_unknown", {"list": name or "-"})
        entry = lists[key]
        item = frame.get("item")
        if item and item.casefold() in [i.casefold() for i in entry["items"]]:
            entry = {**entry, "items": [i for i in entry["items"] if i.casefold() != item.casefold()]}
            ctx.save("lists", {**lists, key: entry})
            return SkillResult("list_removed_item", {"item": item, "list": entry["name"]}, {"list": entry})
        ctx.save("lists", {k: v for k, v in lists.items() if k != key})
        return SkillResult("list_deleted", {"list": entry["name"]}, {"deleted": entry})
