"""Alarms, timers and reminders that fire: at their time, once, in the user's language and time zone.

Skills keep their lists (alarms, kitchen timers, calendar events) as skill data; each turn that changes
one also writes what must fire to ``kg_schedule`` (``Skill.scheduled``). ``Scheduler.fire_due`` turns
every due, unfired row into a notification for its session, in one transaction that marks the row
fired, so a row fires once even if two schedulers looked at it (a notification per row is also a
unique key). One scheduler leads at a time across processes and machines sharing the database (a lease
row renewed every tick); the others wait. A row that came due while no scheduler ran (the server was
down) fires once when one runs again, marked late.

The server runs a scheduler thread in every worker (``ServerConfig.scheduler``); ``kiloglot chat``
runs one too. Sessions read their notifications from the store (``Store.notifications``): the HTTP
API streams them (``/v1/sessions/{id}/events``), the chat prints them.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kiloglot.assistant.nlg import Localizer
from kiloglot.assistant.store import LeaseRow, NotificationRow, ScheduleRow, SessionRow, Store

log = logging.getLogger(__name__)
LEASE = "scheduler"


@dataclass(frozen=True)
class Notification:
    id: int
    session_id: str
    kind: str
    message: str
    due: str
    late: bool


class Scheduler:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] | None = None,
        lease_seconds: float = 10.0,
        late_after: timedelta = timedelta(minutes=1),
        holder: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lease = timedelta(seconds=lease_seconds)
        self.late_after = late_after
        self.holder = holder or secrets.token_hex(8)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- leading -------------------------------------------------------------------------------
    def lead(self) -> bool:
        """Take or renew the lease; True while this scheduler leads."""
        now = self.clock().astimezone(UTC)
        with self.store.turn(f"lease:{LEASE}") as tx:  # serialised like a turn: one writer decides
            s = tx.s
            row = s.get(LeaseRow, LEASE)
            if row is None:
                s.add(LeaseRow(name=LEASE, holder=self.holder, expires=now + self.lease))
                return True
            expires = row.expires if row.expires.tzinfo else row.expires.replace(tzinfo=UTC)
            if row.holder == self.holder or expires < now:
                s.execute(
                    update(LeaseRow).where(LeaseRow.name == LEASE).values(holder=self.holder, expires=now + self.lease)
                )
                return True
            return False

    # -- firing --------------------------------------------------------------------------------
    def fire_due(self) -> list[Notification]:
        """Fire every due row (when leading); returns what fired."""
        if not self.lead():
            return []
        now = self.clock().astimezone(UTC)
        fired: list[Notification] = []
        try:
            with self.store.turn(f"lease:{LEASE}:fire") as tx:
                s = tx.s
                query = select(ScheduleRow).where(ScheduleRow.fired.is_(None), ScheduleRow.due <= now)
                if not self.store.sqlite:
                    query = query.with_for_update(skip_locked=True)
                for row in s.scalars(query.order_by(ScheduleRow.due).limit(500)):
                    due = row.due if row.due.tzinfo else row.due.replace(tzinfo=UTC)
                    row.fired, row.late = now, now - due > self.late_after
                    session = s.get(SessionRow, row.owner)
                    message = self.message(row, due, session)
                    note = NotificationRow(
                        session_id=row.owner, schedule_id=row.id, created=now, kind=row.kind, message=message,
                        data={"label": row.label, "due": due.isoformat(), "late": row.late,
                              "locale": session.locale if session else "en-US"},
                    )  # fmt: skip
                    s.add(note)
                    s.flush()
                    fired.append(Notification(note.id, row.owner, row.kind, message, due.isoformat(), row.late))
        except IntegrityError:  # another scheduler fired one of these rows first: nothing fires twice
            log.info("a schedule row fired elsewhere first")
            return []
        for n in fired:
            log.info("fired %s for session %s%s", n.kind, n.session_id, " (late)" if n.late else "")
        return fired

    @staticmethod
    def message(row: ScheduleRow, due: datetime, session: SessionRow | None) -> str:
        """What the session is told, in its language and time zone."""
        locale = session.locale if session else "en-US"
        zone = ZoneInfo(session.timezone) if session and session.timezone else ZoneInfo("UTC")
        loc = Localizer(locale)
        at = due.astimezone(zone)
        label = f" ({row.label})" if row.label and row.kind != "reminder" else ""
        if row.kind == "reminder":
            text = loc.render_raw("reminder_due", event=row.label, time=loc.time(at))
        elif row.kind == "timer":
            text = loc.render_raw("timer_done", label=label if row.label != "timer" else "")
        else:
            text = loc.render_raw("alarm_ringing", time=loc.time(at), label=label)
        return loc.render_raw("fired_late", message=text, due=loc.time(at)) if row.late else text

    # -- the loop ------------------------------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        """Fire due rows every ``interval`` seconds in a daemon thread until ``stop``."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.fire_due()
                except Exception:
                    log.exception("the scheduler's tick failed; trying again")

        self._thread = threading.Thread(target=loop, name="kiloglot-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
