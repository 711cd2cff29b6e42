"""Outside services skills may need, behind small interfaces.

Nothing here calls the internet. Where a keyless offline service exists we ship a real provider:
a Maildir mailbox for email (Python's ``mailbox``; any MTA or fetchmail can fill it) and a media
folder for play. Weather, news, transport, takeaway, social, recipes, question answering and
recommendations need outside services: an integrator implements the interface and passes it in
``Providers``; until then the skill answers, in the user's language, that none is configured.
"""

from __future__ import annotations

import mailbox
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any


class WeatherProvider(ABC):
    @abstractmethod
    def forecast(self, place: str | None, day: date) -> dict[str, Any]:
        """{'temperature_c': float, 'condition': str} for a place (None: the user's) and a day."""


class NewsProvider(ABC):
    @abstractmethod
    def headlines(self, topic: str | None, locale: str, limit: int = 3) -> list[str]: ...


class SearchProvider(ABC):
    """Question answering, definitions, stock and currency quotes, recommendations, transport..."""

    @abstractmethod
    def answer(self, intent: str, slots: dict[str, list[str]], text: str, locale: str) -> str | None: ...


@dataclass(frozen=True)
class Mail:
    sender: str
    subject: str


class MaildirEmail:
    """A local Maildir: reads ``INBOX`` (the Maildir root), writes outgoing mail to its ``outbox`` folder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.box = mailbox.Maildir(self.path, create=True)

    def inbox(self, sender: str | None = None, limit: int = 5) -> list[Mail]:
        found: list[tuple[float, Mail]] = []
        for key in self.box.iterkeys():
            msg = self.box.get_message(key)
            name, addr = parseaddr(msg.get("From", ""))
            if sender and sender.lower() not in f"{name} {addr}".lower():
                continue
            found.append((msg.get_date(), Mail(name or addr, str(msg.get("Subject", "")))))
        return [m for _, m in sorted(found, key=lambda x: -x[0])[:limit]]

    def send(self, to: str, subject: str, body: str) -> str:
        outbox = (
            self.box.add_folder("outbox") if "outbox" not in self.box.list_folders() else self.box.get_folder("outbox")
        )
        msg = EmailMessage()
        msg["To"], msg["Subject"] = to, subject
        msg.set_content(body)
        return outbox.add(mailbox.MaildirMessage(msg))

    def outbox(self) -> list[dict[str, str]]:
        if "outbox" not in self.box.list_folders():
            return []
        folder = self.box.get_folder("outbox")
        return [{"to": str(m["To"]), "subject": str(m["Subject"])} for m in folder]


class MediaFolder:
    """Audio files under a folder, found by words of their path (artist/album/title)."""

    SUFFIXES = frozenset({".mp3", ".ogg", ".opus", ".flac", ".m4a", ".wav"})

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"media folder {self.path} does not exist")

    def find(self, query: str) -> list[Path]:
        words = [w for w in unicodedata.normalize("NFKC", query).lower().split() if len(w) > 1]
        hits = []
        for f in sorted(self.path.rglob("*")):
            if f.suffix.lower() in self.SUFFIXES:
                name = unicodedata.normalize("NFKC", str(f.relative_to(self.path))).lower()
                score = sum(w in name for w in words)
                if score:
                    hits.append((-score, f))
        return [f for _, f in sorted(hits)]


@dataclass
class Providers:
    weather: WeatherProvider | None = None
    news: NewsProvider | None = None
    search: SearchProvider | None = None  # question answering: facts, definitions, stocks, currencies
    recipes: SearchProvider | None = None
    transport: SearchProvider | None = None
    takeaway: SearchProvider | None = None
    social: SearchProvider | None = None
    recommendations: SearchProvider | None = None
    games: SearchProvider | None = None
    email: MaildirEmail | None = None
    media: MediaFolder | None = None

    @classmethod
    def offline(cls, maildir: str | Path | None = None, media: str | Path | None = None) -> Providers:
        """The keyless offline providers: a Maildir for email, a media folder for play (each when given;
        ``Settings.maildir`` / ``Settings.media``, i.e. ``$KILOGLOT_MAILDIR`` / ``$KILOGLOT_MEDIA``)."""
        return cls(
            email=MaildirEmail(maildir) if maildir else None,
            media=MediaFolder(media) if media and Path(media).is_dir() else None,
        )
