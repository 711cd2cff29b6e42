"""The values read right where it matters: the alarm a user gets (issue: Swahili 8 am became a 2-hour timer,
"in 10 minutes" became 10:00, "delete my alarm" deleted both alarms, an Arabic time tagged as an amount
was lost)."""

from __future__ import annotations

from datetime import datetime

import pytest
from assistant_helpers import NOW, ScriptedParser

from kiloglot.assistant import Assistant, Store


def parser() -> ScriptedParser:
    p = ScriptedParser(["en-US", "sw-KE", "ar-SA"])
    p.say("weka kengele saa mbili asubuhi", "alarm_set", 0.95, time="saa mbili asubuhi")
    p.say("weka kengele kesho saa moja asubuhi", "alarm_set", 0.95, date="kesho", time="saa moja asubuhi")
    p.say("weka kipima muda kwa saa mbili", "alarm_set", 0.95, time="saa mbili")
    p.say("wake me up in 10 minutes", "alarm_set", 0.95, time="10 minutes")
    p.say("set a timer for 10 minutes", "alarm_set", 0.95, time="10 minutes")
    p.say("wake me up at 7 am", "alarm_set", 0.95, time="7 am")
    p.say("wake me up at 8 am", "alarm_set", 0.95, time="8 am")
    p.say("delete my alarm", "alarm_remove", 0.95)
    p.say("delete all my alarms", "alarm_remove", 0.95)
    p.say("the 8 am one", "general_quirky", 0.3, time="8 am")
    p.say("what alarms do i have", "alarm_query", 0.95)
    p.say("اضبط المنبه على ٧:٣٠", "alarm_set", 0.9, change_amount="٧:٣٠")
    return p


@pytest.fixture()
def assistant(tmp_path):
    return Assistant(parser(), Store(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: NOW, default_timezone="UTC")


def alarms(a: Assistant, session: str) -> list[str]:
    return [datetime.fromisoformat(x["at"]).strftime("%a %H:%M") for x in a.store.get(session, "alarm", "alarms", [])]


def test_swahili_time_counts_hours_from_six_and_kesho_is_tomorrow(assistant):
    r = assistant.converse("s", "weka kengele saa mbili asubuhi", "sw-KE")
    assert r.data == {"at": "2026-11-25T08:00:00+00:00"}, r.reply  # 8 am, not a 2-hour timer
    r = assistant.converse("s", "weka kengele kesho saa moja asubuhi", "sw-KE")
    assert r.data == {"at": "2026-11-25T07:00:00+00:00"}, r.reply
    r = assistant.converse("s", "weka kipima muda kwa saa mbili", "sw-KE")  # "for two hours": a timer
    assert r.data["seconds"] == 7200


def test_in_ten_minutes_is_a_moment_and_for_ten_minutes_a_timer(assistant):
    r = assistant.converse("s", "wake me up in 10 minutes", "en-US")
    assert r.data == {"at": "2026-11-24T09:10:00+00:00"}, r.reply  # not 10:00
    r = assistant.converse("s", "set a timer for 10 minutes", "en-US")
    assert r.data["seconds"] == 600 and r.data["at"] == "2026-11-24T09:10:00+00:00"


def test_delete_my_alarm_with_two_alarms_asks_which(assistant):
    assistant.converse("s", "wake me up at 7 am", "en-US")
    assistant.converse("s", "wake me up at 8 am", "en-US")
    r = assistant.converse("s", "delete my alarm", "en-US")
    assert r.action == "ask" and "Which one" in r.reply and "7:00" in r.reply and "8:00" in r.reply
    assert alarms(assistant, "s") == ["Wed 07:00", "Wed 08:00"]  # nothing deleted yet
    r = assistant.converse("s", "the 8 am one", "en-US")
    assert r.action == "answer" and "8:00" in r.reply
    assert alarms(assistant, "s") == ["Wed 07:00"]
    r = assistant.converse("s", "delete my alarm", "en-US")  # the only one left: no question
    assert r.action == "answer" and alarms(assistant, "s") == []


def test_delete_all_my_alarms_deletes_all(assistant):
    assistant.converse("s", "wake me up at 7 am", "en-US")
    assistant.converse("s", "wake me up at 8 am", "en-US")
    r = assistant.converse("s", "delete all my alarms", "en-US")
    assert r.reply == "Removed all your alarms." and alarms(assistant, "s") == []


def test_a_time_tagged_as_another_slot_still_sets_the_alarm(assistant):
    r = assistant.converse("s", "اضبط المنبه على ٧:٣٠", "ar-SA")
    assert r.action == "answer" and r.data == {"at": "2026-11-25T07:30:00+00:00"}, r.reply
