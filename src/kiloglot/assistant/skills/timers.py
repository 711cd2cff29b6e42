"""Timers, shared by the alarm skill ("set a timer for 10 minutes") and the cooking skill (kitchen timers)."""

from __future__ import annotations

from datetime import timedelta
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
