"""One typed settings object for every ``KILOGLOT_*`` environment variable (flags override them).

Read once at an edge (the command line, the server factory) and passed down; library code takes
plain arguments. pydantic-settings parses and validates the variables, so a bad value is one clear
error naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kiloglot.errors import InputError

OFFICIAL_MASSIVE_URL = "https://amazon-massive-nlu-dataset.s3.amazonaws.com/amazon-massive-dataset-1.1.tar.gz"


class Settings(BaseSettings):
    """Where data and state live, how much of the machine to use, and the assistant's services."""

    model_config = SettingsConfigDict(env_prefix="KILOGLOT_", frozen=True, extra="ignore")

    massive: str | None = Field(None, description="MASSIVE source: the official .tar.gz, a folder or a .jsonl")
    massive_url: str = Field(OFFICIAL_MASSIVE_URL, description="where the official archive is downloaded from")
    cache: Path = Field(
        Path.home() / ".cache" / "kiloglot", description="downloads, the registered MASSIVE copy, state"
    )
    jobs: int = Field(0, ge=0, description="worker processes or threads; 0: all cores")
    database: str | None = Field(
        None, description="SQLAlchemy URL of the assistant's state (default: SQLite in the cache)"
    )
    api_key: str | None = Field(None, description="key the HTTP API requires")
    maildir: Path | None = Field(None, description="Maildir of the email skill's offline provider")
    media: Path | None = Field(None, description="media folder of the play skill's offline provider")
    log_level: str = Field("INFO", description="logging level of the command line: DEBUG, INFO, WARNING, ERROR")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @classmethod
    def from_env(cls) -> Settings:
        """The settings the environment gives; a bad value is an InputError naming its variable."""
        try:
            return cls()
        except ValidationError as exc:
            first = exc.errors()[0]
            name = "KILOGLOT_" + str(first["loc"][0]).upper() if first.get("loc") else "a KILOGLOT_ variable"
            raise InputError(f"{name}={first.get('input')!r}: {first['msg']}") from None

    @property
    def cache_dir(self) -> Path:
        return self.cache

    @property
    def workers(self) -> int:
        """``jobs``, with 0 meaning every core."""
        return self.jobs or os.cpu_count() or 1

    def database_url(self) -> str:
        """The assistant's database: ``database`` if set, else a SQLite file in the cache."""
        return self.database or f"sqlite:///{self.cache / 'assistant.db'}"
