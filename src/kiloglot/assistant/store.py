"""Persistence through SQLAlchemy: a SQLite file by default, PostgreSQL (or any SQLAlchemy URL) by URL.

Tables:
- ``kg_sessions``: one row per conversation: locale, time zone, the dialogue state (JSON), its owner;
- ``kg_turns``: every turn (its number, text, parse, action, reply): the interaction log;
- ``kg_skill_data``: what skills keep per user (alarms, lists, the simulated home...), JSON per key;
- ``kg_schedule``: alarms, timers and reminders to fire, one row each, derived from skill data;
- ``kg_notifications``: what fired, for the session to show (one per schedule row at most);
- ``kg_leases``: which server process leads the scheduler;
- ``kg_feedback``: explicit ratings of turns (good/bad, optionally the text or intent that was meant);
- ``kg_rewrites``: learned query rewrites (``u -> u*`` per locale) with their evidence and status.

Every turn and feedback row carries the user it came from (``user_id``; an anonymous user is its
session), so that evidence can be aggregated across users, and deleted per user (``forget_user``).

A turn is one transaction, serialised against every other turn of its session, across threads,
processes and machines (``Store.turn``): PostgreSQL takes a transaction-level advisory lock on the
session id, SQLite takes the database's write lock when the transaction begins (``BEGIN IMMEDIATE``).
Without it, two workers could read the same state and skill data and both write them back, losing one
turn's writes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:  # POSIX: server workers queue on a file lock; elsewhere on SQLite's own busy handler
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from kiloglot.errors import InputError, NotFound


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
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)  # hash of the client that made it
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class TurnRow(Base):
    __tablename__ = "kg_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("kg_sessions.id", ondelete="CASCADE"), index=True)
    turn: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the session's turn number
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locale: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    parse: Mapped[dict[str, Any]] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the dialogue step that answered
    rewritten: Mapped[str | None] = mapped_column(Text, nullable=True)  # what was parsed instead of ``text``
    rewrite_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the kg_rewrites row applied


class FeedbackRow(Base):
    """A user's explicit rating of one turn, with what they meant when they say so."""

    __tablename__ = "kg_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("kg_turns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rating: Mapped[str] = mapped_column(String(8))  # good | bad
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # what the user meant to say
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the intent they meant


class RewriteRow(Base):
    """A learned rewrite: a turn whose normalised text is ``source`` is parsed as ``target``; with ``intent``
    (a meaning users stated in their feedback), the parse then takes that intent."""

    __tablename__ = "kg_rewrites"
    __table_args__ = (UniqueConstraint("locale", "source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(Text)  # normalised (kiloglot.assistant.rewriter.normalize_utterance)
    target: Mapped[str] = mapped_column(Text)  # the text to parse instead, as users said it
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | disabled | withdrawn
    origin: Mapped[str] = mapped_column(String(16), default="mined")  # mined | manual
    support: Mapped[int] = mapped_column(Integer, default=0)  # distinct users whose reformulations back it
    source_success: Mapped[float] = mapped_column(Float, default=0.0)  # how often ``source`` itself worked
    target_success: Mapped[float] = mapped_column(Float, default=0.0)  # how often ``target`` worked
    score: Mapped[float] = mapped_column(Float, default=0.0)  # the chain's success mass through ``target``
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts behind the figures
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")  # why it was disabled or withdrawn, by whom
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the intent the parse is given


class SkillDataRow(Base):
    __tablename__ = "kg_skill_data"
    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    skill: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class ScheduleRow(Base):
    """Something to fire at a moment: an alarm, a timer, a reminder."""

    __tablename__ = "kg_schedule"
    __table_args__ = (UniqueConstraint("owner", "skill", "key", "item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(128), index=True)  # the session
    skill: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))  # a stable id of the item in the skill's list
    kind: Mapped[str] = mapped_column(String(16))  # alarm | timer | reminder
    label: Mapped[str] = mapped_column(Text, default="")
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    fired: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class NotificationRow(Base):
    """An event for a session to show: an alarm that rang, a timer that ended."""

    __tablename__ = "kg_notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("kg_schedule.id"), unique=True, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LeaseRow(Base):
    __tablename__ = "kg_leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Columns added after the first release, created in databases made before them (create_all makes
# missing tables, not missing columns).
_ADDED_COLUMNS = {
    "kg_sessions": {"owner": "VARCHAR(64)", "user_id": "VARCHAR(64)"},
    "kg_turns": {
        "turn": "INTEGER",
        "user_id": "VARCHAR(64)",
        "step": "VARCHAR(32)",
        "rewritten": "TEXT",
        "rewrite_id": "INTEGER",
    },
    "kg_rewrites": {"intent": "VARCHAR(64)"},
}


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # WAL: readers never wait for the writer; synchronous=NORMAL is durable across application crashes
    # (not power loss) and saves an fsync per commit; busy_timeout lets concurrent writers queue.
    dbapi_connection.isolation_level = None  # transactions begin where _sqlite_begin says, not implicitly
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """A transaction that writes takes SQLite's write lock at once (IMMEDIATE), so that two processes
    never both read what the other is about to change; reads stay DEFERRED."""
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def client_hash(client: str) -> str:
    """What a session stores of the client that made it (an API key): a hash, never the key."""
    return hashlib.sha256(client.encode("utf-8")).hexdigest()[:32]


class Store:
    """Sessions, turns, skill data, schedule and notifications behind one SQLAlchemy engine."""

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
        self.sqlite = parsed.drivername.startswith("sqlite")
        if self.sqlite and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.sqlite:
            kwargs["connect_args"] = {"check_same_thread": False}
        else:  # a turn waiting for its session's lock holds a connection: room for the server's threads
            kwargs.update(pool_size=16, max_overflow=16)
        self.url = parsed
        self.engine: Engine = create_engine(parsed, **kwargs)
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        try:
            Base.metadata.create_all(self.engine)
            self._add_missing_columns()
        except OperationalError as exc:
            raise InputError(
                f"database {parsed.render_as_string(hide_password=True)}: cannot connect "
                f"({str(exc.orig).strip().splitlines()[0]})"
            ) from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler sleeps in growing steps: writers queue on a
        # lock instead, which the kernel hands over at once: a thread lock within the process and, for a
        # database file, an exclusive lock on a file beside it across processes (server workers).
        self._thread_lock = threading.Lock()
        self._lock_file = (
            Path(f"{parsed.database}.lock") if self.sqlite and parsed.database not in (None, "", ":memory:") else None
        )

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Held around every write transaction on SQLite; nothing on PostgreSQL (row and advisory locks)."""
        if not self.sqlite:
            yield
            return
        with self._thread_lock:
            if self._lock_file is None or fcntl is None:
                yield
                return
            with open(self._lock_file, "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _add_missing_columns(self) -> None:
        columns = {t: {c["name"] for c in inspect(self.engine).get_columns(t)} for t in _ADDED_COLUMNS}
        with self.engine.begin() as conn:
            for table, added in _ADDED_COLUMNS.items():
                for name, sql_type in added.items():
                    if name not in columns[table]:
                        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}"))

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)

    # -- turns ---------------------------------------------------------------------------------
    @contextmanager
    def turn(self, session_id: str) -> Iterator[TurnTransaction]:
        """One turn of ``session_id``: everything read and written through the yielded transaction
        commits together, and no other turn of the session runs in between."""
        with self._write_lock(), self.engine.connect() as conn:
            if self.sqlite:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with Session(bind=conn, expire_on_commit=False) as s, s.begin():
                if not self.sqlite:  # released when the transaction ends
                    s.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(session_id, 0))))
                yield TurnTransaction(s, session_id)

    def load_session(self, session_id: str) -> SessionRow | None:
        with self._session() as s:
            return s.get(SessionRow, session_id)

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
        with self._write_lock(), self._session.begin() as s:
            self._forget_sessions(s, [session_id])

    @staticmethod
    def _forget_sessions(s: Session, session_ids: list[str]) -> None:
        turns = select(TurnRow.id).where(TurnRow.session_id.in_(session_ids))
        s.execute(delete(FeedbackRow).where(FeedbackRow.turn_id.in_(turns)))
        s.execute(delete(NotificationRow).where(NotificationRow.session_id.in_(session_ids)))
        s.execute(delete(ScheduleRow).where(ScheduleRow.owner.in_(session_ids)))
        s.execute(delete(TurnRow).where(TurnRow.session_id.in_(session_ids)))
        s.execute(delete(SkillDataRow).where(SkillDataRow.owner.in_(session_ids)))
        s.execute(delete(SessionRow).where(SessionRow.id.in_(session_ids)))

    def forget_user(self, user_id: str, owner: str | None = None) -> int:
        """Delete everything of ``user_id``: their sessions, turns, feedback, skill data. Mining reads only
        what is stored, so their evidence is gone from every later mining run. With ``owner``, only the
        sessions that client made. Returns how many sessions were deleted."""
        with self._write_lock(), self._session.begin() as s:
            query = select(SessionRow.id).where(SessionRow.user_id == user_id)
            if owner is not None:
                query = query.where(SessionRow.owner == owner)
            sessions = list(s.scalars(query))
            orphan_turns = select(TurnRow.session_id).where(TurnRow.user_id == user_id)
            if owner is None:  # turns logged under the user in sessions named otherwise
                sessions = sorted(set(sessions) | set(s.scalars(orphan_turns)))
            self._forget_sessions(s, sessions)
            s.execute(delete(FeedbackRow).where(FeedbackRow.user_id == user_id))
        return len(sessions)

    # -- the interaction log and feedback --------------------------------------------------------
    def turn_log(self, locales: list[str] | None = None, until: datetime | None = None) -> list[TurnRow]:
        """Every logged turn (of ``locales``; before ``until``), ordered by user, then time: what
        self-learning reads."""
        query = select(TurnRow)
        if locales:
            query = query.where(TurnRow.locale.in_(locales))
        if until is not None:
            query = query.where(TurnRow.at < until)
        user = func.coalesce(TurnRow.user_id, TurnRow.session_id)
        with self._session() as s:
            return list(s.scalars(query.order_by(user, TurnRow.at, TurnRow.id)))

    def turn_of(self, turn_id: int) -> tuple[TurnRow, SessionRow] | None:
        with self._session() as s:
            turn = s.get(TurnRow, turn_id)
            session = s.get(SessionRow, turn.session_id) if turn is not None else None
            return (turn, session) if turn is not None and session is not None else None

    def record_feedback(
        self,
        turn_id: int,
        rating: str,
        *,
        text: str | None = None,
        intent: str | None = None,
        owner: str | None = None,
    ) -> int:
        """A rating of one turn, kept once per turn (a second rating replaces the first). A turn of a session
        bound to another client is not found."""
        if rating not in ("good", "bad"):
            raise InputError(f"rating {rating!r}: expected 'good' or 'bad'")
        found = self.turn_of(turn_id)
        if found is None or (found[1].owner is not None and found[1].owner != owner):
            raise NotFound(f"no turn {turn_id} for this client")
        turn = found[0]
        with self._write_lock(), self._session.begin() as s:
            s.execute(delete(FeedbackRow).where(FeedbackRow.turn_id == turn_id))
            row = FeedbackRow(
                turn_id=turn_id, user_id=turn.user_id, at=datetime.now(UTC), rating=rating, text=text, intent=intent
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def feedback(self, locales: list[str] | None = None) -> dict[int, FeedbackRow]:
        """The rating of each rated turn, by turn id."""
        query = select(FeedbackRow)
        if locales:
            query = query.join(TurnRow, TurnRow.id == FeedbackRow.turn_id).where(TurnRow.locale.in_(locales))
        with self._session() as s:
            return {r.turn_id: r for r in s.scalars(query)}

    # -- rewrites ------------------------------------------------------------------------------
    def rewrites(self, locale: str | None = None, status: str | None = None) -> list[RewriteRow]:
        query = select(RewriteRow)
        if locale is not None:
            query = query.where(RewriteRow.locale == locale)
        if status is not None:
            query = query.where(RewriteRow.status == status)
        with self._session() as s:
            return list(s.scalars(query.order_by(RewriteRow.locale, RewriteRow.id)))

    def rewrites_version(self) -> tuple[int, datetime | None]:
        """Changes whenever a rewrite is added, changed or removed: how a rewriter knows to reload."""
        with self._session() as s:
            count, last = s.execute(select(func.count(), func.max(RewriteRow.updated)).select_from(RewriteRow)).one()
        return int(count or 0), last

    def save_mined_rewrites(self, mined: list[dict[str, Any]]) -> dict[str, int]:
        """Make the mined rewrites those of the latest mining run: new ones added, ones mined again updated,
        mined ones no longer supported removed. Manual rewrites and what a person disabled stay as they are
        (a disabled rewrite mined again stays disabled)."""
        now = datetime.now(UTC)
        counts = {"added": 0, "updated": 0, "removed": 0, "kept_disabled": 0}
        with self._write_lock(), self._session.begin() as s:
            existing = {(r.locale, r.source): r for r in s.scalars(select(RewriteRow))}
            wanted = {(m["locale"], m["source"]): m for m in mined}
            for key, old in existing.items():
                if old.origin == "mined" and old.status != "disabled" and key not in wanted:
                    s.delete(old)
                    counts["removed"] += 1
            for key, m in wanted.items():
                row = existing.get(key)
                fields = {k: m[k] for k in ("target", "support", "source_success", "target_success", "score")}
                fields["intent"] = m.get("intent")
                fields["evidence"] = json.loads(json.dumps(m.get("evidence", {})))
                if row is None:
                    status = m.get("status", "active")
                    s.add(RewriteRow(locale=key[0], source=key[1], status=status, origin="mined", created=now,
                                     updated=now, note=m.get("note", ""), **fields))  # fmt: skip
                    counts["added"] += 1
                elif row.origin == "manual" or row.status == "disabled":
                    counts["kept_disabled"] += row.status == "disabled"
                else:
                    for k, v in fields.items():
                        setattr(row, k, v)
                    row.status, row.note, row.updated = m.get("status", "active"), m.get("note", ""), now
                    counts["updated"] += 1
        return counts

    def add_rewrite(self, locale: str, source: str, target: str, note: str = "", intent: str | None = None) -> int:
        """A rewrite a person wrote (``source`` already normalised; ``intent``: the parse takes it); it replaces
        a mined one for the same text."""
        now = datetime.now(UTC)
        with self._write_lock(), self._session.begin() as s:
            s.execute(delete(RewriteRow).where(RewriteRow.locale == locale, RewriteRow.source == source))
            row = RewriteRow(locale=locale, source=source, target=target, status="active", origin="manual",
                             created=now, updated=now, note=note, evidence={}, intent=intent)  # fmt: skip
            s.add(row)
            s.flush()
            return int(row.id)

    def set_rewrite_status(self, rewrite_id: int, status: str, note: str = "") -> RewriteRow:
        """Disable (a person's review) or re-enable one rewrite; the reason goes in its note."""
        if status not in ("active", "disabled"):
            raise InputError(f"status {status!r}: expected 'active' or 'disabled'")
        with self._write_lock(), self._session.begin() as s:
            row = s.get(RewriteRow, rewrite_id)
            if row is None:
                raise NotFound(f"no rewrite {rewrite_id}")
            row.status, row.updated = status, datetime.now(UTC)
            if note:
                row.note = note
            return row

    # -- skill data ----------------------------------------------------------------------------
    def get(self, owner: str, skill: str, key: str, default: Any = None) -> Any:
        with self._session() as s:
            row = s.get(SkillDataRow, (owner, skill, key))
            return default if row is None or row.value is None else row.value

    def put(self, owner: str, skill: str, key: str, value: Any) -> None:
        value = json.loads(json.dumps(value))  # only JSON goes in; fails here, not half-way through a write
        with self._write_lock(), self._session.begin() as s:
            row = s.get(SkillDataRow, (owner, skill, key))
            if row is None:
                s.add(SkillDataRow(owner=owner, skill=skill, key=key, value=value))
            else:
                row.value = value

    # -- notifications -------------------------------------------------------------------------
    def notifications(self, session_id: str, after: int = 0, limit: int = 50) -> list[NotificationRow]:
        """What fired for the session, oldest first, with ids above ``after``."""
        with self._session() as s:
            rows = s.scalars(
                select(NotificationRow)
                .where(NotificationRow.session_id == session_id, NotificationRow.id > after)
                .order_by(NotificationRow.id)
                .limit(limit)
            ).all()
        return list(rows)

    def close(self) -> None:
        self.engine.dispose()


class TurnTransaction:
    """Reads and writes of one turn, inside its serialised transaction."""

    def __init__(self, s: Session, session_id: str) -> None:
        self.s, self.session_id = s, session_id

    def session(self) -> SessionRow | None:
        return self.s.get(SessionRow, self.session_id)

    def get(self, owner: str, skill: str, key: str, default: Any = None) -> Any:
        row = self.s.get(SkillDataRow, (owner, skill, key))
        return default if row is None or row.value is None else row.value

    def record(
        self,
        *,
        turn: int,
        locale: str,
        tz: str,
        state: dict[str, Any],
        text: str,
        parse: dict[str, Any],
        action: str,
        reply: str,
        writes: dict[tuple[str, str], Any] | None = None,
        owner: str | None = None,
        user_id: str | None = None,
        step: str | None = None,
        rewritten: str | None = None,
        rewrite_id: int | None = None,
        at: datetime | None = None,
    ) -> int:
        """Skill data, session state and the turn's log, committed with the transaction: all or none.
        Returns the turn's id in the log (what feedback names)."""
        now = datetime.now(UTC)
        state = json.loads(json.dumps(state))
        for (skill, key), value in (writes or {}).items():
            value = json.loads(json.dumps(value))
            data = self.s.get(SkillDataRow, (self.session_id, skill, key))
            if data is None:
                self.s.add(SkillDataRow(owner=self.session_id, skill=skill, key=key, value=value))
            else:
                data.value = value
        row = self.session()
        if row is None:
            row = SessionRow(id=self.session_id, locale=locale, timezone=tz, state=state, created=now, updated=now)
            row.owner, row.user_id = owner, user_id
            self.s.add(row)
            self.s.flush()
        else:
            row.locale, row.timezone, row.state, row.updated = locale, tz, state, now
        logged = TurnRow(
            session_id=self.session_id,
            turn=turn,
            at=at or now,
            locale=locale,
            text=text,
            intent=parse.get("intent", ""),
            confidence=float(parse.get("confidence", 0.0)),
            parse=parse,
            action=action,
            reply=reply,
            user_id=user_id or self.session_id,
            step=step,
            rewritten=rewritten,
            rewrite_id=rewrite_id,
        )
        self.s.add(logged)
        self.s.flush()
        return int(logged.id)

    def schedule(self, skill: str, key: str, items: list[dict[str, Any]]) -> None:
        """Make ``kg_schedule`` hold exactly ``items`` for this skill key (``{"item", "kind", "label",
        "due"}``), keeping what already fired: what a skill's list says is what will ring."""
        rows = {
            r.item: r
            for r in self.s.scalars(
                select(ScheduleRow).where(
                    ScheduleRow.owner == self.session_id, ScheduleRow.skill == skill, ScheduleRow.key == key
                )
            )
        }
        # in UTC: SQLite keeps no offset, and comparisons must compare like with like
        wanted = {i["item"]: {**i, "due": i["due"].astimezone(UTC)} for i in items}
        for item, row in rows.items():
            if item not in wanted and row.fired is None:
                self.s.delete(row)
        for item, i in wanted.items():
            existing = rows.get(item)
            if existing is None:
                due, label = i["due"], i.get("label", "")
                new = ScheduleRow(
                    owner=self.session_id, skill=skill, key=key, item=item, kind=i["kind"], label=label, due=due
                )
                self.s.add(new)
            elif existing.fired is None:
                existing.kind, existing.label, existing.due = i["kind"], i.get("label", ""), i["due"]
