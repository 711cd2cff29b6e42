"""Persistence through SQLAlchemy: a SQLite file by default, PostgreSQL (or any SQLAlchemy URL) by URL.

Three tables:
- ``kg_sessions``: one row per conversation: locale, time zone and the dialogue state (JSON);
- ``kg_turns``: every turn (text, parse, action, reply): the interaction log self-learning reads;
- ``kg_skill_data``: what skills keep per user (alarms, lists, the simulated home...), JSON per key.
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from kiloglot.errors import InputError


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "kg_sessions"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TurnRow(Base):
    __tablename__ = "kg_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("kg_sessions.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locale: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    parse: Mapped[dict[str, Any]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str] = mapped_column(Text)


class SkillDataRow(Base):
    __tablename__ = "kg_skill_data"
    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    skill: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # WAL: readers never wait for the writer; synchronous=NORMAL is durable across application crashes
    # (not power loss) and saves an fsync per commit; busy_timeout lets concurrent writers queue.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """Sessions, turns and skill data behind one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InputError(
                f"database URL {url!r}: expected an SQLAlchemy URL such as sqlite:///assistant.db "
                "or postgresql+psycopg://user@host/db"
            ) from None
        if parsed.drivername == "postgresql":  # psycopg 3 is the driver we install
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.drivername.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
        self.url = parsed
        self.engine: Engine = create_engine(parsed, **kwargs)
        if parsed.drivername.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            Base.metadata.create_all(self.engine)
        except OperationalError as exc:
            raise InputError(
                f"database {parsed.render_as_string(hide_password=True)}: cannot connect "
                f"({str(exc.orig).strip().splitlines()[0]})"
            ) from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler sleeps in growing steps: queue writers
        # on a lock instead, which keeps the tail latency of concurrent turns short.
        self._write_lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if parsed.drivername.startswith("sqlite") else contextlib.nullcontext()
        )

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)

    # -- sessions ------------------------------------------------------------------------------
    def load_session(self, session_id: str) -> SessionRow | None:
        with self._session() as s:
            return s.get(SessionRow, session_id)

    def record_turn(
        self,
        session_id: str,
        locale: str,
        tz: str,
        state: dict[str, Any],
        text: str,
        parse: dict[str, Any],
        action: str,
        reply: str,
        writes: dict[tuple[str, str], Any] | None = None,
    ) -> None:
        """Skill data, session state and the turn's log in one transaction: all happen or none."""
        now = datetime.now(UTC)
        state = json.loads(json.dumps(state))
        writes = {k: json.loads(json.dumps(v)) for k, v in (writes or {}).items()}
        for attempt in (1, 2):
            try:
                with self._write_lock, self._session.begin() as s:
                    self._write_turn(s, session_id, locale, tz, state, text, parse, action, reply, writes, now)
                return
            except IntegrityError:
                # another process created the session (or a skill row) between our read and our insert:
                # the transaction rolled back whole; once more, now as an update
                if attempt == 2:
                    raise

    @staticmethod
    def _write_turn(
        s: Session,
        session_id: str,
        locale: str,
        tz: str,
        state: dict[str, Any],
        text: str,
        parse: dict[str, Any],
        action: str,
        reply: str,
        writes: dict[tuple[str, str], Any],
        now: datetime,
    ) -> None:
        for (skill, key), value in writes.items():
            data = s.get(SkillDataRow, (session_id, skill, key))
            if data is None:
                s.add(SkillDataRow(owner=session_id, skill=skill, key=key, value=value))
            else:
                data.value = value
        row = s.get(SessionRow, session_id)
        if row is None:
            s.add(SessionRow(id=session_id, locale=locale, timezone=tz, state=state, created=now, updated=now))
            s.flush()
        else:
            row.locale, row.timezone, row.state, row.updated = locale, tz, state, now
        s.add(
            TurnRow(
                session_id=session_id,
                at=now,
                locale=locale,
                text=text,
                intent=parse.get("intent", ""),
                confidence=float(parse.get("confidence", 0.0)),
                parse=parse,
                action=action,
                reply=reply,
            )
        )

    def turns(self, session_id: str, limit: int = 50) -> list[TurnRow]:
        with self._session() as s:
            rows = s.scalars(
                select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.id.desc()).limit(limit)
            ).all()
        return list(reversed(rows))

    def count_turns(self) -> int:
        with self._session() as s:
            return int(s.scalar(select(func.count()).select_from(TurnRow)) or 0)

    def forget(self, session_id: str) -> None:
        with self._write_lock, self._session.begin() as s:
            s.execute(delete(TurnRow).where(TurnRow.session_id == session_id))
            s.execute(delete(SkillDataRow).where(SkillDataRow.owner == session_id))
            s.execute(delete(SessionRow).where(SessionRow.id == session_id))

    # -- skill data ----------------------------------------------------------------------------
    def get(self, owner: str, skill: str, key: str, default: Any = None) -> Any:
        with self._session() as s:
            row = s.get(SkillDataRow, (owner, skill, key))
            return default if row is None or row.value is None else row.value

    def put(self, owner: str, skill: str, key: str, value: Any) -> None:
        value = json.loads(json.dumps(value))  # only JSON goes in; fails here, not half-way through a write
        with self._write_lock, self._session.begin() as s:
            row = s.get(SkillDataRow, (owner, skill, key))
            if row is None:
                s.add(SkillDataRow(owner=owner, skill=skill, key=key, value=value))
            else:
                row.value = value

    def close(self) -> None:
        self.engine.dispose()
