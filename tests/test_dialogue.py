"""Dialogue: follow-ups, corrections, cancellations, questions for missing slots, confirmation,
persistence (SQLite file and a real PostgreSQL server), and a real trained parser in the loop."""

from __future__ import annotations

import os
import uuid

import pytest
from assistant_helpers import NOW, ScriptedParser

from kiloglot.assistant import Assistant, ConfidencePolicy, Store
from kiloglot.errors import InputError


def scripted() -> ScriptedParser:
    p = ScriptedParser(["en-US", "de-DE", "ja-JP"])
    p.say("wake me up at 7:00 tomorrow", "alarm_set", 0.97, time="7:00", date="tomorrow")
    p.say("no, 7:30", "alarm_set", 0.2, time="7:30")
    p.say("what alarms do i have", "alarm_query", 0.98)
    p.say("cancel that", "alarm_remove", 0.6)
    p.say("what time is it in Tokyo", "datetime_query", 0.95, place_name="Tokyo")
    p.say("and in London?", "weather_query", 0.3, place_name="London")
    p.say("set an alarm", "alarm_set", 0.9)
    p.say("8:15", "general_quirky", 0.2, time="8:15")
    p.say("add to my Zed list", "lists_createoradd", 0.9, list_name="Zed")
    p.say("eggs", "general_quirky", 0.1)
    p.say("turn it up maybe", "audio_volume_up", 0.4)
    p.say("yes", "general_quirky", 0.3)
    p.say("blah", "general_quirky", 0.05)
    p.say("hmm", "general_quirky", 0.2)
    p.say("cancel my alarm at 7:00", "alarm_remove", 0.95, time="7:00")
    p.say("remind me about something", "calendar_set", 0.93)
    p.say("what is 15 times 7", "qa_maths", 0.96)
    p.say("dentist", "general_quirky", 0.3)
    p.say("what's on my calendar tomorrow", "calendar_query", 0.94, date="tomorrow")
    return p


@pytest.fixture()
def assistant(tmp_path):
    return Assistant(
        scripted(), Store(f"sqlite:///{tmp_path / 'state.db'}"), clock=lambda: NOW, default_timezone="Europe/Berlin"
    )


def test_correction_replaces_the_last_action(assistant):
    assert (
        assistant.converse("s", "wake me up at 7:00 tomorrow", "en-US").reply
        == "Alarm set for Nov 25, 2026, 7:00\u202fAM."
    )
    r = assistant.converse("s", "no, 7:30", "en-US")
    assert r.action == "answer" and "7:30" in r.reply
    alarms = assistant.converse("s", "what alarms do i have", "en-US").data["alarms"]
    assert [a["at"][11:16] for a in alarms] == ["07:30"]  # the 7:00 alarm was replaced, not kept beside it


def test_cancel_undoes_the_last_action_even_after_a_query(assistant):
    assistant.converse("s", "wake me up at 7:00 tomorrow", "en-US")
    assistant.converse("s", "what alarms do i have", "en-US")
    r = assistant.converse("s", "cancel that", "en-US")
    assert r.action == "cancel" and r.reply == "OK, I've cancelled that."
    assert assistant.converse("s", "what alarms do i have", "en-US").reply == "You have no alarms."
    assert assistant.converse("s", "cancel that", "en-US").reply == "There is nothing to cancel."


def test_a_request_that_starts_with_cancel_goes_to_its_skill(assistant):
    assistant.converse("s", "wake me up at 7:00 tomorrow", "en-US")
    r = assistant.converse("s", "cancel my alarm at 7:00", "en-US")
    assert r.action == "answer" and r.frame["intent"] == "alarm_remove" and r.reply.startswith("Removed the alarm for")


def test_follow_up_carries_the_previous_intent_over(assistant):
    first = assistant.converse("s", "what time is it in Tokyo", "en-US")
    assert first.reply.startswith("In Tokyo it's 6:00")
    r = assistant.converse("s", "and in London?", "en-US")
    assert r.frame == {"intent": "datetime_query", "slots": {"place_name": ["London"]}}
    assert r.reply.startswith("In London it's 9:00")


def test_missing_required_slot_is_asked_for_and_filled_from_the_next_turn(assistant):
    r = assistant.converse("s", "set an alarm", "en-US")
    assert r.action == "ask" and r.reply == "For what time?"
    r = assistant.converse("s", "8:15", "en-US")
    assert r.action == "answer" and "8:15" in r.reply
    # a free-text answer fills a slot the parser has no label for (the list item)
    assistant.converse("s", "add to my Zed list", "en-US")  # creates the list
    r = assistant.converse("s", "add to my Zed list", "en-US")
    assert r.reply == "What should I add to Zed?"
    assert assistant.converse("s", "eggs", "en-US").reply == "Added eggs to Zed."


def test_a_new_request_replaces_an_unanswered_question(assistant):
    assert assistant.converse("s", "set an alarm", "en-US").action == "ask"
    r = assistant.converse("s", "what time is it in Tokyo", "en-US")
    assert r.frame["intent"] == "datetime_query" and r.reply.startswith("In Tokyo it's")
    assert "pending" not in r.state


def test_confirmation_then_yes_runs_the_request(assistant):
    r = assistant.converse("s", "turn it up maybe", "en-US")
    assert r.action == "confirm" and r.reply == "Do you want help with volume? Please say yes or no."
    r = assistant.converse("s", "yes", "en-US")
    assert r.action == "answer" and r.reply == "Volume is now 60%."


def test_low_confidence_asks_to_rephrase_then_falls_back(assistant):
    assert assistant.converse("s", "blah", "en-US").action == "fallback"
    assert [assistant.converse("s", "hmm", "en-US").action for _ in range(3)] == ["rephrase", "rephrase", "fallback"]


def test_state_persists_across_assistant_instances(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    a = Assistant(scripted(), Store(url), clock=lambda: NOW)
    a.converse("s", "wake me up at 7:00 tomorrow", "en-US")
    b = Assistant(scripted(), Store(url), clock=lambda: NOW)
    r = b.converse("s", "what alarms do i have")  # locale remembered by the session
    assert r.locale == "en-US" and len(r.data["alarms"]) == 1
    assert [t.intent for t in b.store.turns("s")] == ["alarm_set", "alarm_query"]
    assert b.converse("s", "no, 7:30").reply.startswith("Alarm set for Nov 25, 2026, 7:30")


def test_bad_input_gets_clear_errors(assistant):
    with pytest.raises(InputError, match="locale is needed"):
        assistant.converse("new", "hello")
    with pytest.raises(InputError, match="non-empty"):
        assistant.converse("s", "  ", "en-US")
    with pytest.raises(InputError, match="time zone 'Mars/Base'"):
        assistant.converse("s", "hmm", "en-US", "Mars/Base")
    with pytest.raises(InputError, match="not trained on locale 'fr-FR'"):
        assistant.converse("s", "bonjour", "fr-FR")
    with pytest.raises(InputError, match="rephrase <= confirm <= answer"):
        ConfidencePolicy(answer=0.2, confirm=0.5)
    with pytest.raises(InputError, match="database URL"):
        Store("not a url")


def postgres_url() -> str | None:
    url = os.environ.get("KILOGLOT_TEST_POSTGRES_URL")
    if not url and os.environ.get("KILOGLOT_REQUIRE_SERVICES") == "1":
        pytest.fail("KILOGLOT_TEST_POSTGRES_URL is not set but services are required (scripts/test_services.sh)")
    return url


@pytest.mark.skipif(
    not os.environ.get("KILOGLOT_TEST_POSTGRES_URL") and os.environ.get("KILOGLOT_REQUIRE_SERVICES") != "1",
    reason="no PostgreSQL server: run scripts/test_services.sh (make test does)",
)
def test_postgresql_store_keeps_sessions_turns_and_skill_data():
    url = postgres_url()
    assert url
    store = Store(url)
    assert store.url.get_backend_name() == "postgresql"
    session = f"pg-{uuid.uuid4().hex[:8]}"
    a = Assistant(scripted(), store, clock=lambda: NOW)
    a.converse(session, "wake me up at 7:00 tomorrow", "en-US")
    a.converse(session, "no, 7:30", "en-US")
    b = Assistant(scripted(), Store(url), clock=lambda: NOW)  # a second engine: state comes from the server
    r = b.converse(session, "what alarms do i have")
    assert [x["at"][11:16] for x in r.data["alarms"]] == ["07:30"]
    assert len(b.store.turns(session)) == 3
    b.store.forget(session)
    assert b.store.load_session(session) is None and b.store.turns(session) == []


def test_real_trained_parser_in_the_loop(trained_model, tmp_path):
    from kiloglot.nlu import load

    a = Assistant(
        load(trained_model), Store(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: NOW, default_timezone="UTC"
    )
    r = a.converse("real", "wake me up at seven am tomorrow", "en-US")
    assert r.parse["intent"] == "alarm_set" and r.action == "answer"
    assert r.reply == "Alarm set for Nov 25, 2026, 7:00\u202fAM."
    r = a.converse("real-ja", "明日の朝7時に起こして", "ja-JP")
    assert r.parse["intent"] == "alarm_set" and r.reply_locale == "ja-JP" and "7:00" in r.reply


def test_dialogue_state_reads_what_earlier_versions_stored():
    """Sessions saved before the state was typed (a plain dict with the same keys) read back unchanged."""
    from kiloglot.assistant.state import DialogueState

    stored = {
        "turn": 4,
        "history": [{"turn": 4, "text": "no, eight am", "intent": "alarm_set", "action": "answer", "reply": "ok"}],
        "pending": {"frame": {"intent": "lists_createoradd", "slots": {"list_name": ["shopping"]}}, "ask": "item"},
        "last_frame": {"intent": "alarm_set", "slots": {"time": ["eight am"]}},
        "last_turn": 4,
        "last_action": {
            "frame": {"intent": "alarm_set", "slots": {"time": ["eight am"]}},
            "turn": 4,
            "changes": [["alarm", "alarms", []]],
        },
        "misses": 1,
    }
    state = DialogueState.from_dict(stored)
    assert state.pending and state.pending.ask == "item" and state.pending.frame.get("list_name") == "shopping"
    assert state.last_action and state.last_action.changes == [("alarm", "alarms", [])]
    assert state.to_dict() == stored
    assert "last_action" not in state.to_dict(internal=False)
    assert DialogueState.from_dict(None).to_dict() == {"turn": 0, "history": []}


def test_a_confident_request_is_not_taken_as_the_answer_to_an_open_question(assistant):
    """After "What should I call it?", "what is 15 times 7" is a new request, not an event's name."""
    r = assistant.converse("q", "remind me about something", "en-US")
    assert r.action == "ask" and r.state["pending"]["ask"] == "event_name"
    r = assistant.converse("q", "what is 15 times 7")
    assert r.action == "answer" and r.frame["intent"] == "qa_maths" and "105" in r.reply
    assert "pending" not in r.state and assistant.store.get("q", "calendar", "events") is None
    # the same holds for another intent of the same scenario
    assistant.converse("q", "remind me about something")
    r = assistant.converse("q", "what's on my calendar tomorrow")
    assert r.frame["intent"] == "calendar_query" and assistant.store.get("q", "calendar", "events") is None
    # an answer that is not a confident request of another intent still fills the slot
    assistant.converse("q", "remind me about something")
    r = assistant.converse("q", "dentist")
    assert r.frame["intent"] == "calendar_set" and r.frame["slots"]["event_name"] == ["dentist"]
