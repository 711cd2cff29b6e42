"""Alarms, timers and reminders fire: at their time, once, in the user's language; one leader; late ones
after a restart fire once, marked late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from assistant_helpers import NOW, ScriptedParser

from kiloglot.assistant import Assistant, Store
from kiloglot.assistant.scheduler import Scheduler


def parser() -> ScriptedParser:
    p = ScriptedParser(["en-US", "de-DE"])
    p.say("wake me up at 7:00 tomorrow", "alarm_set", 0.97, time="7:00", date="tomorrow")
    p.say("set a timer for 10 minutes", "alarm_set", 0.97, time="10 minutes")
    p.say("weck mich morgen um 7:00", "alarm_set", 0.97, time="7:00", date="morgen")
    p.say("remind me of the dentist at 16:00", "calendar_set", 0.95, event_name="dentist", time="16:00")
    p.say("cancel that", "alarm_remove", 0.6)
    return p


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def setup(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    clock = Clock(NOW)  # Tuesday 2026-11-24 09:00 UTC
    assistant = Assistant(parser(), Store(url), clock=clock, default_timezone="Europe/Berlin")
    return url, clock, assistant


def test_an_alarm_fires_at_its_time_once_in_the_users_language(setup):
    url, clock, a = setup
    a.converse("de", "weck mich morgen um 7:00", "de-DE")  # 7:00 Berlin = 06:00 UTC on Wednesday
    scheduler = Scheduler(Store(url), clock=clock)
    clock.now = datetime(2026, 11, 25, 5, 59, tzinfo=UTC)
    assert scheduler.fire_due() == []
    clock.now = datetime(2026, 11, 25, 6, 0, 5, tzinfo=UTC)
    (fired,) = scheduler.fire_due()
    assert fired.session_id == "de" and fired.kind == "alarm" and not fired.late
    assert fired.message == "Es ist 07:00: dein Wecker."
    assert scheduler.fire_due() == []  # never twice
    clock.now += timedelta(hours=1)
    assert scheduler.fire_due() == []
    assert [n.message for n in a.store.notifications("de")] == ["Es ist 07:00: dein Wecker."]


def test_timers_and_reminders_fire_and_undo_removes_what_would_ring(setup):
    url, clock, a = setup
    a.converse("t", "set a timer for 10 minutes", "en-US")
    a.converse("t", "remind me of the dentist at 16:00")
    a.converse("u", "wake me up at 7:00 tomorrow", "en-US")
    a.converse("u", "cancel that")  # undone: nothing rings
    scheduler = Scheduler(Store(url), clock=clock)
    clock.now = NOW + timedelta(minutes=10, seconds=1)
    assert [(n.kind, n.message) for n in scheduler.fire_due()] == [("timer", "Your timer is done.")]
    clock.now = datetime(2026, 11, 24, 15, 0, 30, tzinfo=UTC)  # 16:00 in Berlin
    assert [n.message for n in scheduler.fire_due()] == ["Reminder: dentist at 4:00\u202fPM."]
    clock.now = datetime(2026, 11, 26, tzinfo=UTC)
    assert scheduler.fire_due() == [] and a.store.notifications("u") == []


def test_one_leader_fires_and_what_came_due_while_down_fires_late_once(setup):
    url, clock, a = setup
    a.converse("l", "wake me up at 7:00 tomorrow", "en-US")
    first, second = Scheduler(Store(url), clock=clock), Scheduler(Store(url), clock=clock)
    assert first.lead() and not second.lead()  # the lease is held
    clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # two hours after 7:00 Berlin: the server was down
    assert first.lead()  # the first to come back leads; the other waits while the lease is renewed
    assert second.fire_due() == []
    (late,) = first.fire_due()
    assert late.late and late.message == "It's 7:00\u202fAM: your alarm. (late: it was due at 7:00\u202fAM.)"
    clock.now += timedelta(seconds=30)  # the leader stopped; after its lease runs out another leads
    assert second.fire_due() == []
    assert second.lead() and second.fire_due() == [] and len(a.store.notifications("l")) == 1
