"""Timers, shared by the alarm skill ("set a timer for 10 minutes") and the cooking skill (kitchen timers)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from kiloglot.assistant.skill import SkillContext, SkillResult


def start_timer(ctx: SkillContext, key: str, seconds: float, **fields: Any) -> SkillResult:
    """Keep a timer that ends ``seconds`` from now under the skill's ``key`` and say when it ends."""
    at = ctx.now + timedelta(seconds=seconds)
    ctx.save(key, [*ctx.data(key, []), {"at": at.isoformat(), **fields}])
    return SkillResult(
        "timer_set",
        {"duration": ctx.loc.duration(seconds), "time": ctx.loc.time(at)},
        {"at": at.isoformat(), "seconds": seconds},
    )


def schedule_items(entries: list[dict[str, Any]], kind_of: Any) -> list[dict[str, Any]]:
    """Schedule rows for a list of ``{"at": ISO time, ...}`` entries: ``kind_of(entry)`` names the kind
    (alarm, timer, reminder; None: nothing to fire). An item's id is stable: the same entry keeps its row."""
    items = []
    for entry in entries:
        kind = kind_of(entry)
        if kind is None or not entry.get("at"):
            continue
        label = str(entry.get("label") or entry.get("name") or entry.get("food") or "")
        item = hashlib.sha256(f"{kind}|{entry['at']}|{label}".encode()).hexdigest()[:32]
        items.append({"item": item, "kind": kind, "label": label, "due": datetime.fromisoformat(entry["at"])})
    return items
