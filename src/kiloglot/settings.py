"""One typed settings object, read from ``KILOGLOT_*`` environment variables (flags override)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OFFICIAL_MASSIVE_URL = "https://amazon-massive-nlu-dataset.s3.amazonaws.com/amazon-massive-dataset-1.1.tar.gz"


def _default_cache() -> Path:
    return Path(os.environ.get("KILOGLOT_CACHE", Path.home() / ".cache" / "kiloglot"))


@dataclass(frozen=True)
class Settings:
    """Where data comes from and how much of the machine to use."""

    massive: str | None = field(default_factory=lambda: os.environ.get("KILOGLOT_MASSIVE"))
    massive_url: str = field(default_factory=lambda: os.environ.get("KILOGLOT_MASSIVE_URL", OFFICIAL_MASSIVE_URL))
    cache_dir: Path = field(default_factory=_default_cache)
    jobs: int = field(default_factory=lambda: int(os.environ.get("KILOGLOT_JOBS", "0")) or (os.cpu_count() or 1))

    @classmethod
    def from_env(cls) -> Settings:
        return cls()


def parse_option(item: str) -> tuple[str, Any]:
    """``"dim=384"`` -> ``("dim", 384)``: ints, floats, true/false/none, else the string."""
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"option {item!r}: expected KEY=VALUE")
    text = text.strip()
    value: Any = {"true": True, "false": False, "none": None}.get(text.lower(), text)
    for cast in (int, float):
        try:
            value = cast(text)
            break
        except ValueError:
            pass
    return key.strip(), value
