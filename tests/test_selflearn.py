"""Self-learning: the log's user ids and feedback, rephrase detection, rewrites mined from reformulations,
the rewriter before the parser, retraining from mined pairs, and the user simulator."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from assistant_helpers import NOW, ScriptedParser
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from kiloglot.assistant import Assistant, Store
from kiloglot.assistant.rewriter import Rewriter, normalize_utterance
from kiloglot.cli.main import app
from kiloglot.errors import InputError, NotFound
from kiloglot.learn.selflearn import MiningSettings, RephraseDetector, default_detector, label_turns, mine_rewrites
from kiloglot.learn.selflearn.mining import MinedRewrite, judge_rewrites
from kiloglot.learn.selflearn.rephrase import FEATURES
from kiloglot.learn.selflearn.retrain import example_from_rewrite
from kiloglot.learn.selflearn.signals import reformulation_paths
from kiloglot.server import ServerConfig, create_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Turn:
    """A logged turn as self-learning reads it (the shape of kg_turns rows)."""

    id: int
    user_id: str
    at: datetime
    text: str
    intent: str = "weather_query"
    confidence: float = 0.9
    action: str = "answer"
    step: str | None = "new_request"
    locale: str = "en-US"
    session_id: str = "s"
    parse: dict[str, Any] = field(default_factory=dict)
    rewritten: str | None = None
    rewrite_id: int | None = None


@dataclass
class Rated:
    rating: str


def _restates(first: str, second: str, gap: float = 6.0, action: str = "fallback") -> float:
    a = Turn(1, "u", T0, first, action=action, confidence=0.2)
    b = Turn(2, "u", T0 + timedelta(seconds=gap), second)
    return default_detector().probability(a, b, gap)


# -- the rephrase detector ----------------------------------------------------------------------
def test_the_packaged_detector_tells_a_restatement_from_a_new_request() -> None:
    assert _restates("wake me up at seven", "set an alarm for seven") > 0.5
    assert _restates("wake me up at seven", "what is the weather in paris", gap=600, action="answer") < 0.5


def test_a_detector_fits_saves_and_loads(tmp_path: Path) -> None:
    pairs, labels = [], []
    for i in range(20):
        a = Turn(2 * i, "u", T0, f"play song number {i}", action="fallback")
        same = Turn(2 * i + 1, "u", T0 + timedelta(seconds=5), f"play the song number {i}")
        other = Turn(2 * i + 1, "u", T0 + timedelta(seconds=400), "how cold is it outside")
        pairs += [(a, same, 5.0), (a, other, 400.0)]
        labels += [True, False]
    detector = RephraseDetector.fit(pairs, labels, fitted_on="test")
    assert all(detector.is_rephrase(a, b, g) == y for (a, b, g), y in zip(pairs, labels))
    path = detector.save(tmp_path / "detector.json")
    again = RephraseDetector.load(path)
    assert again.coef == detector.coef and again.features == FEATURES
    (tmp_path / "bad.json").write_text('{"features": ["x"], "coef": [1], "intercept": 0}')
    with pytest.raises(InputError, match="features"):
        RephraseDetector.load(tmp_path / "bad.json")
    with pytest.raises(InputError, match="both True and False"):
        RephraseDetector.fit(pairs[:1], labels[:1])


# -- signals ------------------------------------------------------------------------------------
def test_defects_and_their_evidence_come_from_the_log_alone() -> None:
    turns = [
        Turn(1, "ann", T0, "wake me at 7", action="fallback", intent="general_quirky", confidence=0.1),
        Turn(2, "ann", T0 + timedelta(seconds=5), "set an alarm for 7", intent="alarm_set"),
        Turn(3, "ann", T0 + timedelta(minutes=30), "what's the weather", action="answer"),
        Turn(4, "bob", T0, "turn the lights off", intent="iot_hue_lightoff"),
        Turn(5, "bob", T0 + timedelta(seconds=4), "no, the kitchen lights", step="correct_last_action"),
        Turn(6, "cid", T0, "play jazz", intent="play_music"),
    ]
    outcomes = {o.turn.id: o for o in label_turns(turns, default_detector(), {6: Rated("bad"), 3: Rated("good")})}
    assert outcomes[1].defect and "failed" in outcomes[1].evidence and "asked_again" in outcomes[1].evidence
    assert outcomes[2].rephrase_of == 1 and not outcomes[2].defect
    assert not outcomes[3].defect and outcomes[3].rephrase_of is None  # half an hour later: a new request
    assert outcomes[4].defect and "corrected" in outcomes[4].evidence
    assert outcomes[6].defect and outcomes[6].evidence == ["rated_bad"]
    paths = reformulation_paths(list(outcomes.values()))
    assert [[o.turn.id for o in p] for p in paths if p[0].user == "ann"] == [[1, 2], [3]]


# -- mining -------------------------------------------------------------------------------------
def _reformulations(users: int, source: str, target: str, *, start: int = 0, target_works: bool = True) -> list[Turn]:
    turns, n = [], start
    for u in range(users):
        at = T0 + timedelta(hours=u)
        turns.append(Turn(n + 1, f"user{u}", at, source, action="fallback", intent="general_quirky", confidence=0.1))
        parse = {"intent": "alarm_set", "slots": [{"name": "time", "value": "7 am"}]}
        action = "answer" if target_works else "fallback"
        turns.append(Turn(n + 2, f"user{u}", at + timedelta(seconds=6), target, parse=parse, action=action,
                          intent="alarm_set"))  # fmt: skip
        n += 2
    return turns


def test_reformulations_of_several_users_become_a_rewrite() -> None:
    turns = _reformulations(3, "Wake me, 7 am!", "set an alarm for 7 am")
    mined = mine_rewrites(label_turns(turns, default_detector()), MiningSettings(min_support=2))
    assert len(mined) == 1
    m = mined[0]
    assert (m.locale, m.source, m.target, m.support) == ("en-US", "wake me 7 am", "set an alarm for 7 am", 3)
    assert m.source_success == 0.0 and m.target_success == 1.0 and m.score > 0
    assert m.source_text == "Wake me, 7 am!" and m.target_parse["intent"] == "alarm_set"


def test_utterance_rewrites_with_different_values_generalise_into_a_phrasing_rewrite(store: Store) -> None:
    turns: list[Turn] = []
    for n, hour in enumerate(("seven", "eight", "nine")):
        for u in range(2):
            at = T0 + timedelta(hours=10 * n + u)
            parse = {"intent": "alarm_set", "slots": [{"name": "time", "value": f"{hour} am"}]}
            turns += [Turn(100 * n + 2 * u, f"user{n}{u}", at, f"wake me {hour} am", action="fallback",
                           intent="general_quirky", confidence=0.1),
                      Turn(100 * n + 2 * u + 1, f"user{n}{u}", at + timedelta(seconds=5),
                           f"set an alarm for {hour} am", parse=parse, intent="alarm_set")]  # fmt: skip
    mined = mine_rewrites(label_turns(turns, default_detector()), MiningSettings(min_support=2))
    phrasing = [m for m in mined if "{" in m.source]
    assert [(m.source, m.target, m.evidence["kind"]) for m in phrasing] == [
        ("wake me {time}", "set an alarm for {time}", "phrasing")
    ]
    store.save_mined_rewrites([m.to_dict() for m in mined])
    rewriter = Rewriter(store)
    hit = rewriter.lookup("Wake me ten thirty am!", "en-US")  # a value nobody said
    assert hit is not None and hit.phrasing and hit.target == "set an alarm for ten thirty am"
    exact = rewriter.lookup("wake me seven am", "en-US")  # an utterance rewrite comes first
    assert exact is not None and not exact.phrasing
    assert rewriter.lookup("wake me", "en-US") is None and rewriter.lookup("please wake me up", "en-US") is None
    one_value = mine_rewrites(label_turns(turns[:4], default_detector()), MiningSettings(min_support=2))
    assert not [m for m in one_value if "{" in m.source]  # one value is no evidence the phrasing generalises


def test_no_rewrite_without_support_or_to_a_target_that_fails_too() -> None:
    alone = _reformulations(1, "wake me 7 am", "set an alarm for 7 am")
    assert mine_rewrites(label_turns(alone, default_detector()), MiningSettings(min_support=2)) == []
    failing = _reformulations(4, "wake me 7 am", "alarm 7 am please", target_works=False)
    assert mine_rewrites(label_turns(failing, default_detector()), MiningSettings(min_support=1)) == []


def test_a_rewrite_whose_rewritten_turns_fail_is_withdrawn() -> None:
    turns = _reformulations(3, "wake me 7 am", "set an alarm for 7 am")
    later = T0 + timedelta(days=1)
    turns += [Turn(100 + i, f"late{i}", later + timedelta(hours=i), "wake me 7 am", action="answer",
                   rewritten="set an alarm for 7 am", rewrite_id=9) for i in range(3)]  # fmt: skip
    turns += [Turn(200 + i, f"late{i}", later + timedelta(hours=i, seconds=5), "no", step="cancel_request")
              for i in range(3)]  # fmt: skip
    outcomes = label_turns(turns, default_detector())
    mined = mine_rewrites(outcomes, MiningSettings(min_support=2))
    judge_rewrites(mined, outcomes, {("en-US", "wake me 7 am"): 9}, MiningSettings())
    assert mined[0].status == "withdrawn" and mined[0].evidence["applied"] == {"worked": 0, "failed": 3}


# -- store, rewriter, assistant -----------------------------------------------------------------
@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path}/assistant.db")


def _mined(source: str, target: str, **kw: Any) -> dict[str, Any]:
    base = {"locale": "en-US", "source": normalize_utterance(source), "target": target, "support": 3,
            "source_success": 0.0, "target_success": 1.0, "score": 0.9, "evidence": {}}  # fmt: skip
    return {**base, **kw}


def test_the_rewriter_runs_before_the_parser_and_every_rewritten_turn_says_so(store: Store) -> None:
    parser = ScriptedParser(["en-US"])
    parser.say("set an alarm for 7 am", "alarm_set", 0.97, time="7 am")
    store.save_mined_rewrites([_mined("Wake me, 7 AM!", "set an alarm for 7 am")])
    assistant = Assistant(parser, store, rewriter=Rewriter(store))
    result = assistant.converse("s1", "wake me 7 am", "en-US", user_id="ann")
    assert result.parse["intent"] == "alarm_set" and result.action == "answer"
    assert result.rewritten is not None and result.rewritten["to"] == "set an alarm for 7 am"
    plain = assistant.converse("s2", "wake me 7 am", "en-US", user_id="ann", rewrite=False)
    assert plain.rewritten is None and plain.parse["intent"] == "general_quirky"
    log = {t.id: t for t in store.turn_log()}
    assert log[result.turn_id].text == "wake me 7 am"  # what the user said, and what was parsed instead
    assert log[result.turn_id].rewritten == "set an alarm for 7 am" and log[result.turn_id].rewrite_id is not None
    assert log[plain.turn_id].rewritten is None and {t.user_id for t in log.values()} == {"ann"}
    # the kill switch: no rewriter, no rewrite
    assert Assistant(parser, store).converse("s3", "wake me 7 am", "en-US").rewritten is None


@dataclass
class Meant:
    rating: str
    intent: str | None = None


def test_intents_users_say_they_meant_become_a_meaning_rewrite_the_assistant_applies(store: Store) -> None:
    said = "what's the traffic today"
    turns = [
        Turn(10 * u, f"user{u}", T0 + timedelta(hours=u), said, intent="calendar_query",
             parse={"intent": "calendar_query", "slots": [{"name": "date", "value": "today"}]})
        for u in range(4)
    ]  # fmt: skip
    ratings = {0: Meant("bad", "transport_traffic"), 10: Meant("bad", "transport_traffic"), 20: Meant("bad")}
    outcomes = label_turns(turns, default_detector(), ratings)
    (m,) = mine_rewrites(outcomes, MiningSettings(min_support=2))
    assert (m.source, m.target, m.intent, m.support) == (normalize_utterance(said), said, "transport_traffic", 2)
    assert m.target_parse == {"intent": "transport_traffic", "slots": [{"name": "date", "value": "today"}]}
    # one user's word is not enough at support 2; split votes or a parser that already says it give none
    assert mine_rewrites(outcomes, MiningSettings(min_support=3)) == []
    split = {**ratings, 20: Meant("bad", "weather_query"), 30: Meant("bad", "news_query")}
    assert mine_rewrites(label_turns(turns, default_detector(), split), MiningSettings(min_support=2)) == []
    agreed = [replace(t, intent="transport_traffic", parse={"intent": "transport_traffic"}) for t in turns]
    assert mine_rewrites(label_turns(agreed, default_detector(), ratings), MiningSettings(min_support=2)) == []

    parser = ScriptedParser(["en-US"])
    parser.say(said, "calendar_query", 0.9, date="today")
    store.save_mined_rewrites([m.to_dict()])
    assistant = Assistant(parser, store, rewriter=Rewriter(store))
    result = assistant.converse("s1", said, "en-US", user_id="ann")
    assert result.parse["intent"] == "transport_traffic" and result.parse["confidence"] == 1.0
    assert [s["value"] for s in result.parse["slots"]] == ["today"]  # the parser's slots stay
    assert result.rewritten is not None and result.rewritten["intent"] == "transport_traffic"
    assert store.rewrites()[0].intent == "transport_traffic"
    assert assistant.converse("s2", said, "en-US", rewrite=False).parse["intent"] == "calendar_query"


def test_a_disabled_rewrite_stops_applying_and_mining_does_not_bring_it_back(store: Store) -> None:
    store.save_mined_rewrites([_mined("wake me 7 am", "set an alarm for 7 am")])
    rewriter = Rewriter(store)
    assert rewriter.lookup("Wake me 7 am", "en-US") is not None
    assert rewriter.lookup("wake me 7 am", "de-DE") is None
    (row,) = store.rewrites()
    store.set_rewrite_status(row.id, "disabled", "wrong time zone")
    rewriter.refresh()
    assert rewriter.lookup("wake me 7 am", "en-US") is None
    counts = store.save_mined_rewrites([_mined("wake me 7 am", "set an alarm for 7 am")])
    assert counts["kept_disabled"] == 1 and store.rewrites()[0].status == "disabled"
    assert store.rewrites()[0].note == "wrong time zone"
    assert store.save_mined_rewrites([])["removed"] == 0  # a person's decision outlives mining
    with pytest.raises(NotFound):
        store.set_rewrite_status(999, "disabled")


def test_chat_feedback_names_an_intent_or_the_words_that_were_meant(store: Store) -> None:
    from kiloglot.cli.chat import rate_last_turn

    parser = ScriptedParser(["en-US"])
    parser.say("play jazz", "play_music", 0.97)
    assistant = Assistant(parser, store)
    first = assistant.converse("s1", "play jazz", "en-US").turn_id
    second = assistant.converse("s1", "play jazz", "en-US").turn_id
    rate_last_turn(assistant, first, "bad play_music")
    rate_last_turn(assistant, second, "bad put on some jazz music")
    rated = store.feedback()
    assert (rated[first].intent, rated[first].text) == ("play_music", None)
    assert (rated[second].intent, rated[second].text) == (None, "put on some jazz music")


def test_feedback_is_kept_per_turn_and_deleting_a_user_removes_their_evidence(store: Store) -> None:
    parser = ScriptedParser(["en-US"])
    parser.say("play jazz", "play_music", 0.97)
    assistant = Assistant(parser, store)
    ann = assistant.converse("s-ann", "play jazz", "en-US", user_id="ann")
    bob = assistant.converse("s-bob", "play jazz", "en-US", user_id="bob")
    store.record_feedback(ann.turn_id, "good")
    store.record_feedback(ann.turn_id, "bad", text="play some jazz")  # the second rating replaces the first
    assert [(f.rating, f.text) for f in store.feedback().values()] == [("bad", "play some jazz")]
    with pytest.raises(InputError, match="good' or 'bad"):
        store.record_feedback(bob.turn_id, "meh")
    with pytest.raises(NotFound):
        store.record_feedback(12345, "good")
    assert store.forget_user("ann") == 1
    assert [t.user_id for t in store.turn_log()] == ["bob"] and store.feedback() == {}
    with pytest.raises(InputError, match="user id"):
        assistant.converse("s-x", "play jazz", "en-US", user_id="not a valid id!")


# -- retraining -------------------------------------------------------------------------------
def test_a_failed_utterance_is_labelled_with_the_parse_of_its_rewrite() -> None:
    slots = [{"name": "time", "value": "seven am"}, {"name": "date", "value": "Friday"}]
    parse = {"intent": "alarm_set", "slots": slots}
    rewrite = MinedRewrite("en-US", "wake me friday seven am", "set an alarm for friday at seven am", 3, 0, 1, 1,
                           source_text="wake me friday seven am", target_parse=parse)  # fmt: skip
    ex = example_from_rewrite(rewrite)
    assert ex is not None and ex.intent == "alarm_set"
    assert list(zip(ex.words, ex.word_labels)) == [("wake", "Other"), ("me", "Other"), ("friday", "date"),
                                                   ("seven", "time"), ("am", "time")]  # fmt: skip
    parse = {"intent": "alarm_set", "slots": slots[:1]}
    missing = MinedRewrite("en-US", "wake me", "set an alarm for seven am", 3, 0, 1, 1, source_text="wake me",
                           target_parse=parse)  # fmt: skip
    assert example_from_rewrite(missing) is None  # half a label would teach "seven am" is outside any slot


def test_confirmed_successes_become_anchors_and_a_replay_counts_what_a_refit_mends_and_breaks() -> None:
    from kiloglot.learn.selflearn.retrain import examples_from_rewrites, examples_from_successes, replay_check

    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "seven am"}]}
    lights = {"intent": "iot_hue_lightoff", "slots": []}
    turns = [  # "set an alarm for seven am" works for two users; "lights off" once; "wake me seven am" fails
        Turn(1, "ann", T0, "set an alarm for seven am", intent="alarm_set", parse=alarm),
        Turn(2, "bob", T0 + timedelta(hours=1), "Set an alarm for seven am!", intent="alarm_set", parse=alarm),
        Turn(3, "cid", T0, "lights off", intent="iot_hue_lightoff", parse=lights),
        Turn(4, "dan", T0, "wake me seven am", action="fallback", parse={"intent": "general_quirky"}),
        Turn(5, "dan", T0 + timedelta(seconds=5), "set an alarm for seven am", intent="alarm_set", parse=alarm),
        Turn(6, "eve", T0, "lights off", intent="iot_hue_lightoff", parse=lights),
        Turn(7, "eve", T0 + timedelta(seconds=4), "no, the kitchen", step="correct_last_action"),
        Turn(8, "fay", T0, "dim it", rewritten="dim the lights", parse={"intent": "iot_hue_lightdim"}),
    ]
    outcomes = label_turns(turns, default_detector(), {})
    anchors, counts = examples_from_successes(outcomes)
    # one example per text that always worked as said: "lights off" was corrected once, "dim it" was rewritten
    by_text = {normalize_utterance(a.text): (a, n) for a, n in zip(anchors, counts)}
    assert set(by_text) == {"set an alarm for seven am"}
    anchor, n = by_text["set an alarm for seven am"]
    assert n == 3 and anchor.intent == "alarm_set"
    assert [w for w, lab in zip(anchor.words, anchor.word_labels) if lab == "time"] == ["seven", "am"]

    mined = [MinedRewrite("en-US", "wake me seven am", "set an alarm for seven am", 2, 0, 1, 1,
                          source_text="wake me seven am", target_parse=alarm)]  # fmt: skip
    examples, _ = examples_from_rewrites(mined)
    current, candidate = ScriptedParser(["en-US"]), ScriptedParser(["en-US"])
    current.say("set an alarm for seven am", "alarm_set", time="seven am")
    candidate.say("wake me seven am", "alarm_set", time="seven am")  # mends the mined pair ...
    candidate.say("set an alarm for seven am", "alarm_set")  # ... and breaks the anchor (its slot lost)
    check = replay_check(candidate, current, examples, [4], anchors, counts)["en-US"]
    assert (check.mended, check.broken) == (4, 3)
    assert replay_check(current, current, examples, [4], anchors, counts)["en-US"].mended == 0


def test_every_reformulation_that_ended_well_labels_the_turns_that_failed_before_it() -> None:
    from kiloglot.learn.selflearn.retrain import examples_from_paths

    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "seven am"}]}
    quirky = {"intent": "general_quirky", "slots": []}
    turns = [  # ann: two failed phrasings, then one that works; bob gives up; cid says ann's first and it works
        Turn(1, "ann", T0, "wake me seven am", action="fallback", parse=quirky),
        Turn(2, "ann", T0 + timedelta(seconds=5), "rouse me at seven am", action="fallback", parse=quirky),
        Turn(3, "ann", T0 + timedelta(seconds=10), "set an alarm for seven am", intent="alarm_set", parse=alarm),
        Turn(4, "bob", T0, "beep at seven am", action="fallback", parse=quirky),
        Turn(5, "bob", T0 + timedelta(seconds=5), "beep me at seven am", action="fallback", parse=quirky),
        Turn(6, "cid", T0 + timedelta(hours=1), "wake me seven am", intent="alarm_set", parse=alarm),
        Turn(7, "dan", T0 + timedelta(hours=2), "wake me seven am", action="fallback", parse=quirky),
    ]
    outcomes = label_turns(turns, default_detector(), {})
    assert [[o.turn.id for o in p] for p in reformulation_paths(outcomes) if p[0].user == "ann"] == [[1, 2, 3]]
    examples, counts = examples_from_paths(outcomes)
    by_text = {ex.text: (ex, n) for ex, n in zip(examples, counts)}
    # both of ann's failed turns learn the parse she reached; bob's path never ended well: nothing from it
    assert set(by_text) == {"wake me seven am", "rouse me at seven am"}
    for ex, _ in by_text.values():
        assert ex.intent == "alarm_set"
        assert [w for w, lab in zip(ex.words, ex.word_labels) if lab == "time"] == ["seven", "am"]
    assert by_text["wake me seven am"][1] == 3  # weighed by the turns that said it (1 of 3 worked: kept)
    # ann's success came after two failures: a cut at one failure leaves her path out, at two keeps it
    assert examples_from_paths(outcomes, max_failures=1) == ([], [])
    assert len(examples_from_paths(outcomes, max_failures=2)[0]) == 2
    # a text that works as said more often than not is left alone
    for n, user in ((8, "eve"), (9, "fay")):
        turns.append(Turn(n, user, T0 + timedelta(hours=n), "wake me seven am", intent="alarm_set", parse=alarm))
    examples, _ = examples_from_paths(label_turns(turns, default_detector(), {}))
    assert {ex.text for ex in examples} == {"rouse me at seven am"}


def _rated_paths(endings: dict[int, tuple[int, int]]) -> tuple[list[Turn], dict[int, Rated]]:
    """Paths of raters: for each number of failures, (endings rated good, endings rated bad); every turn but
    the last of a path is a fallback."""
    quirky = {"intent": "general_quirky", "slots": []}
    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "seven am"}]}
    phrasings = ["wake me seven am", "rouse me at seven am", "get me up at seven am", "alarm at seven am"]
    turns, ratings, n = [], {}, 0
    for failures, (good, bad) in endings.items():
        for k in range(good + bad):
            user, at = f"u{failures}-{k}", T0 + timedelta(hours=n)
            for i in range(failures):
                n += 1
                turns.append(Turn(n, user, at + timedelta(seconds=5 * i), phrasings[i], action="fallback",
                                  parse=quirky))  # fmt: skip
            n += 1
            turns.append(Turn(n, user, at + timedelta(seconds=5 * failures), "set an alarm for seven am",
                              intent="alarm_set", parse=alarm))  # fmt: skip
            ratings[n] = Rated("good" if k < good else "bad")
    return turns, ratings


def test_the_path_failure_cut_comes_from_the_raters_paths() -> None:
    from kiloglot.learn.selflearn.retrain import calibrate_path_cut, parse_path_cut, resolve_path_cut

    def cut(endings: dict[int, tuple[int, int]], **kw: Any) -> Any:
        turns, ratings = _rated_paths(endings)
        return calibrate_path_cut(label_turns(turns, default_detector(), ratings), **kw)

    # after one or two failures the raters' endings were right 18 of 20 and 9 of 10 times; after three, 2 of 10:
    # together 29 of 40 = 72.5 %, under 85 %, so the cut is two
    c = cut({1: (18, 2), 2: (9, 1), 3: (2, 8)}, min_precision=0.85, min_rated=10)
    assert c.max_failures == 2 and c.rated == {1: [18, 20], 2: [9, 10], 3: [2, 10]}
    assert c.precision == {1: 0.9, 2: 0.9, 3: 0.725}
    assert c.to_dict()["precision"] == {"1": 0.9, "2": 0.9, "3": 0.725}
    assert cut({1: (18, 2), 2: (9, 1), 3: (2, 8)}, min_precision=0.7, min_rated=10).max_failures is None  # all pass
    assert cut({1: (10, 10), 2: (10, 0)}, min_precision=0.85, min_rated=10).max_failures == 0  # not even one
    assert cut({1: (2, 0)}, min_rated=30, fallback=1).max_failures == 1  # too few ratings to say: the fallback
    # an ending with other evidence of failure (a fallback) is no silent success: it does not count
    turns, ratings = _rated_paths({1: (3, 0)})
    turns[-1].action = "fallback"
    assert calibrate_path_cut(label_turns(turns, default_detector(), ratings), min_rated=1).rated == {1: [2, 2]}
    with pytest.raises(InputError, match="expected a share above 0"):
        calibrate_path_cut([], min_precision=0)

    assert parse_path_cut(None) is None and parse_path_cut("AUTO") == "auto" and parse_path_cut("2") == 2
    for bad in ("0", "two", "-1"):
        with pytest.raises(InputError, match=f"--path-max-failures {bad}: expected a whole number"):
            parse_path_cut(bad)
    with pytest.raises(InputError, match=r"--path-min-precision 1\.5"):
        parse_path_cut("auto", 1.5)
    turns, ratings = _rated_paths({1: (30, 0), 2: (5, 25)})
    outcomes = label_turns(turns, default_detector(), ratings)
    assert resolve_path_cut(3, outcomes) == (3, None) and resolve_path_cut(None, outcomes) == (None, None)
    most, calibrated = resolve_path_cut("auto", outcomes)
    assert most == 1 and calibrated is not None and calibrated.max_failures == 1
    with pytest.raises(InputError, match="path failure cut 'most'"):
        resolve_path_cut("most", outcomes)


def test_a_refit_with_an_automatic_failure_cut_reports_it(monkeypatch) -> None:
    from kiloglot.learn.selflearn import retrain as rt

    # unrated ann fails twice and then goes quiet; the raters say endings after two failures are mostly wrong
    turns, ratings = _rated_paths({1: (30, 0), 2: (5, 25)})
    quirky = {"intent": "general_quirky", "slots": []}
    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "seven am"}]}
    turns += [Turn(9001, "ann", T0, "beep seven am", action="fallback", parse=quirky),
              Turn(9002, "ann", T0 + timedelta(seconds=5), "ring seven am", action="fallback", parse=quirky),
              Turn(9003, "ann", T0 + timedelta(seconds=10), "seven am alarm please", intent="alarm_set",
                   parse=alarm)]  # fmt: skip
    outcomes = label_turns(turns, default_detector(), ratings)
    seen: list[list[str]] = []
    monkeypatch.setattr(rt, "refit_linear", lambda parser, data, train: seen.append([e.text for e in data]) or parser)
    settings = rt.RefitSettings(paths=True, path_max_failures="auto")
    report = rt.refit_from_log("parser", "parser", [], outcomes, [], settings).report  # type: ignore[arg-type]
    assert report["path_cut"]["max_failures"] == 1
    assert "beep seven am" not in seen[0] and "ring seven am" not in seen[0]  # ann's path had two failures
    report = rt.refit_from_log("parser", "parser", [], outcomes, [], rt.RefitSettings(paths=True)).report  # type: ignore[arg-type]
    assert "path_cut" not in report and "beep seven am" in seen[1]


def test_a_scoped_refit_answers_only_texts_like_those_it_was_taught() -> None:
    from kiloglot.learn.selflearn.retrain import labelled_example
    from kiloglot.learn.selflearn.scope import ScopedParser, phrasing_of

    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "six am"}]}
    taught = labelled_example("Wake me at six am", alarm, "en-US", "t1")
    assert taught is not None and phrasing_of(taught.text, [(11, 17, "time")]) == "wake me at \x00time\x00"
    original, refit = ScriptedParser(["en-US", "de-DE"]), ScriptedParser(["en-US", "de-DE"])
    original.say("wake me at six am!", "general_quirky")
    refit.say("wake me at six am!", "alarm_set", time="six am")  # the taught text, said with other punctuation
    original.say("wake me at seven pm", "general_quirky")
    refit.say("wake me at seven pm", "alarm_set", time="seven pm")  # the taught phrasing, another value
    original.say("wake me at noon please", "general_quirky")
    refit.say("wake me at noon please", "alarm_set", time="noon")  # another phrasing: not the refit's to answer
    original.say("lights off", "iot_hue_lightoff")
    refit.say("lights off", "iot_hue_lightdim")  # what refits do away from their evidence
    original.say("six am alarm", "general_quirky")
    refit.say("six am alarm", "alarm_set", time="six am")  # the taught goal in other words
    original.say("six am", "general_quirky")
    refit.say("six am", "alarm_query", time="six am")  # the taught value, another intent: not the taught goal
    texts = ["wake me at six am!", "wake me at seven pm", "wake me at noon please", "lights off", "six am alarm",
             "six am"]  # fmt: skip

    phrasing = ScopedParser(original, refit, {"en-US": [taught]}, "phrasing")
    assert [p.intent for p in phrasing.parse(texts, "en-US")] == [
        "alarm_set", "alarm_set", "general_quirky", "iot_hue_lightoff", "general_quirky", "general_quirky"]  # fmt: skip
    exact = ScopedParser(original, refit, {"en-US": [taught]}, "taught")
    assert [p.intent for p in exact.parse(texts, "en-US")] == [
        "alarm_set", "general_quirky", "general_quirky", "iot_hue_lightoff", "general_quirky",
        "general_quirky"]  # fmt: skip
    goal = ScopedParser(original, refit, {"en-US": [taught]}, "goal")
    assert [p.intent for p in goal.parse(texts, "en-US")] == [
        "alarm_set", "alarm_set", "general_quirky", "iot_hue_lightoff", "alarm_set", "general_quirky"]  # fmt: skip
    slotless = labelled_example("lights off", {"intent": "iot_hue_lightdim", "slots": []}, "en-US", "t2")
    assert slotless is not None  # a slotless goal is no evidence for other texts of its intent
    assert [p.intent for p in ScopedParser(original, refit, {"en-US": [slotless]}, "goal").parse(
        ["lights off", "six am alarm"], "en-US")] == ["iot_hue_lightdim", "general_quirky"]  # fmt: skip
    original.say("play some jazz", "play_music", genre="jazz")
    refit.say("play some jazz", "play_music", genre="some jazz")  # the same intent, other slots: a slot change
    texts.append("play some jazz")
    intent = ScopedParser(original, refit, {"en-US": [taught]}, "intent")
    assert [(p.intent, [s.value for s in p.slots]) for p in intent.parse(texts, "en-US")] == [
        ("alarm_set", ["six am"]), ("alarm_set", ["seven pm"]), ("alarm_set", ["noon"]), ("iot_hue_lightdim", []),
        ("alarm_set", ["six am"]), ("alarm_query", ["six am"]), ("play_music", ["jazz"])]  # fmt: skip
    assert [intent.rule_of(t, "en-US") for t in texts] == [
        "taught", "phrasing", "intent", "intent", "goal", "intent", None]  # fmt: skip
    assert [goal.rule_of(t, "en-US") for t in texts] == ["taught", "phrasing", None, None, "goal", None, None]
    # confirmed: also a reading that names a goal the log confirmed, unless the original's reading names one too
    noon = {"intent": "alarm_set", "slots": [{"name": "time", "value": "noon"}]}
    asked = {"intent": "alarm_query", "slots": [{"name": "time", "value": "noon"}]}
    successes = [labelled_example("alarm for noon", noon, "en-US", "c1"),
                 labelled_example("is my alarm at noon", asked, "en-US", "c2")]  # fmt: skip
    assert all(successes)
    original.say("noon alarm", "alarm_query", time="noon")  # a confirmed goal too: the original keeps it
    refit.say("noon alarm", "alarm_set", time="noon")
    original.say("buzz at noon", "alarm_set", time="noon")  # both read the same: nothing to decide
    refit.say("buzz at noon", "alarm_set", time="noon")
    confirmed = ScopedParser.taught_from(original, refit, [taught], "confirmed", confirmed=successes)  # type: ignore[arg-type]
    said = ["wake me at noon please", "noon alarm", "lights off", "six am alarm", "six am", "buzz at noon"]
    assert [p.intent for p in confirmed.parse(said, "en-US")] == [
        "alarm_set", "alarm_query", "iot_hue_lightoff", "alarm_set", "general_quirky", "alarm_set"]  # fmt: skip
    assert [confirmed.rule_of(t, "en-US") for t in said] == ["confirmed", None, None, "goal", None, None]
    # unknown: every text whose original reading the log does not vouch for; the original keeps the rest
    unknown = ScopedParser.taught_from(original, refit, [taught], "unknown", confirmed=successes)  # type: ignore[arg-type]
    assert [p.intent for p in unknown.parse(said, "en-US")] == [
        "alarm_set", "alarm_query", "iot_hue_lightdim", "alarm_set", "alarm_query", "alarm_set"]  # fmt: skip
    assert [unknown.rule_of(t, "en-US") for t in said] == ["confirmed", None, "unknown", "goal", "unknown", None]
    assert goal.rule_of("wake me at noon please", "en-US") is None  # no confirmed goals: the goal scope's
    assert phrasing.parse(["wake me at seven pm"], "de-DE")[0].intent == "general_quirky"  # nothing taught there
    assert phrasing.rule_of("wake me at seven pm", "de-DE") is None
    with pytest.raises(InputError, match="not trained on locale"):
        phrasing.parse(["hallo"], "fr-FR")


def test_a_scoped_refit_labels_slots_given_intents_in_its_scope_only() -> None:
    from dataclasses import replace

    from kiloglot.learn.selflearn.retrain import labelled_example
    from kiloglot.learn.selflearn.scope import ScopedParser
    from kiloglot.nlu.contract import ParsesGivenIntents

    class GivenIntents(ScriptedParser):  # a tagger that conditions on the intent it is given
        def parse_given_intents(self, texts, locale, intents):
            return [replace(p, intent=i) for p, i in zip(self.parse(texts, locale), intents, strict=True)]

    taught = labelled_example("wake me at six am", {"intent": "alarm_set", "slots": [{"name": "time", "value":
                              "six am"}]}, "en-US", "t1")  # fmt: skip
    assert taught is not None
    original, refit = ScriptedParser(["en-US"]), GivenIntents(["en-US"])
    refit.say("wake me at seven pm", "alarm_set", time="seven pm")  # the taught phrasing: the refit's
    original.say("lights off", "iot_hue_lightoff")
    refit.say("lights off", "iot_hue_lightdim", device="lights")  # out of scope: the original's
    scoped = ScopedParser(original, refit, {"en-US": [taught]}, "goal")
    assert isinstance(scoped, ParsesGivenIntents)
    out = scoped.parse_given_intents(["wake me at seven pm", "lights off"], "en-US", ["alarm_query", "iot_cleaning"])
    assert [(p.intent, [s.value for s in p.slots]) for p in out] == [
        ("alarm_query", ["seven pm"]),  # the refit's slots under the given intent
        ("iot_hue_lightoff", []),  # the original cannot condition on an intent: its own parse
    ]
    with pytest.raises(InputError, match="2 intents for 1 texts"):
        scoped.parse_given_intents(["lights off"], "en-US", ["a", "b"])


def test_a_scoped_refit_from_the_log_answers_the_failed_texts_of_its_paths(monkeypatch) -> None:
    from kiloglot.learn.selflearn import retrain as rt
    from kiloglot.learn.selflearn.scope import ScopedParser

    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "seven am"}]}
    quirky = {"intent": "general_quirky", "slots": []}
    later = T0 + timedelta(seconds=5)
    turns = [Turn(1, "ann", T0, "wake me seven am", action="fallback", parse=quirky),
             Turn(2, "ann", later, "alarm for seven am", intent="alarm_set", parse=alarm)]  # fmt: skip
    outcomes = label_turns(turns, default_detector(), {})
    original = ScriptedParser(["en-US"])
    monkeypatch.setattr(rt, "refit_linear", lambda parser, data, train: ScriptedParser(["en-US"]))
    settings = rt.RefitSettings(paths=True, scope="phrasing")
    refit = rt.refit_from_log(original, original, [], outcomes, [], settings)  # type: ignore[arg-type]
    assert isinstance(refit.parser, ScopedParser) and refit.report["scope"] == "phrasing"
    assert refit.parser.original is original and [e.text for e in refit.parser.taught["en-US"]] == ["wake me seven am"]
    with pytest.raises(InputError, match="refit scope 'near'"):
        rt.RefitSettings(scope="near")
    # the confirmed scope reads the log's confirmed successes: one is ann's last turn
    settings = rt.RefitSettings(paths=True, scope="confirmed")
    refit = rt.refit_from_log(original, original, [], outcomes, [], settings)  # type: ignore[arg-type]
    assert isinstance(refit.parser, ScopedParser)
    assert refit.parser.confirmed == {"en-US": {("alarm_set", (("time", "seven am"),))}}
    example = refit.parser.taught["en-US"][0]
    with pytest.raises(InputError, match="scope 'confirmed' needs the log's confirmed successes"):
        rt.retrain(original, [example], [example], [example], None, scope="confirmed")
    with pytest.raises(InputError, match="scope 'unknown' needs the log's confirmed successes"):
        rt.retrain(original, [example], [example], [example], None, scope="unknown")
    unknown = rt.refit_from_log(original, original, [], outcomes, [], rt.RefitSettings(paths=True, scope="unknown"))  # type: ignore[arg-type]
    assert isinstance(unknown.parser, ScopedParser) and unknown.parser.confirmed == refit.parser.confirmed


def test_a_refit_weighs_mined_and_path_examples_apart_and_leaves_withdrawn_sources_out(monkeypatch) -> None:
    from kiloglot.data.example import Example
    from kiloglot.learn.selflearn import retrain as rt

    alarm = {"intent": "alarm_set", "slots": [{"name": "time", "value": "seven am"}]}
    mined_ex, path_ex, anchor = (rt.labelled_example(t, alarm, "en-US", t) for t in ("a seven am", "b seven am", "c"))
    assert mined_ex and path_ex and anchor is None  # "c" lacks the slot value: no example
    data = rt.refit_data([mined_ex], [], 3, [path_ex], 1)
    assert [e.text for e in data] == ["a seven am"] * 3 + ["b seven am"]
    assert len(rt.refit_data([mined_ex], [], 3, [path_ex])) == 6  # no path weight: as many as a mined one

    quirky = {"intent": "general_quirky", "slots": []}
    turns = [  # ann fails twice, then gets it; two phrasings become path examples unless a rewrite was withdrawn
        Turn(1, "ann", T0, "wake me seven am", action="fallback", parse=quirky),
        Turn(2, "ann", T0 + timedelta(seconds=5), "rouse me at seven am", action="fallback", parse=quirky),
        Turn(3, "ann", T0 + timedelta(seconds=10), "set an alarm for seven am", intent="alarm_set", parse=alarm),
    ]
    outcomes = label_turns(turns, default_detector(), {})
    withdrawn = MinedRewrite("en-US", "rouse me at seven am", "set an alarm for seven am", support=1,
                             source_success=0.0, target_success=1.0, score=1.0, status="withdrawn")  # fmt: skip
    seen: list[list[Example]] = []
    monkeypatch.setattr(rt, "refit_linear", lambda parser, data, train: seen.append(list(data)) or parser)
    settings = rt.RefitSettings(mined_weight=4, paths=True, path_weight=2)
    refit = rt.refit_from_log("parser", "parser", [withdrawn], outcomes, [], settings)  # type: ignore[arg-type]
    assert refit.parser == "parser" and refit.report["from_paths"] == 1
    assert [e.text for e in refit.taught] == ["wake me seven am"]
    assert [e.text for e in seen[0]] == ["wake me seven am"] * 2


@pytest.mark.slow
def test_refitting_some_locales_keeps_the_others(trained_model: Path, small_corpus, tmp_path: Path) -> None:
    from kiloglot.errors import ModelError
    from kiloglot.learn.selflearn.scope import ScopedParser
    from kiloglot.nlu import load

    train, _ = small_corpus
    parser = load(trained_model)
    before = parser.parse(["ninikumbushe kesho saa tatu"], locale="sw-KE")[0]
    refit = parser.refit([e for e in train if e.locale == "en-US"][:300])
    assert refit.locales == parser.locales
    after = refit.parse(["ninikumbushe kesho saa tatu"], locale="sw-KE")[0]
    assert (after.intent, after.confidence, after.slots) == (before.intent, before.confidence, before.slots)
    assert refit.data_fingerprint != parser.data_fingerprint
    # and a refit can hand a locale back: en-US as the original model read it, the rest as the refit does
    text = next(e.text for e in train if e.locale == "en-US")
    mixed = refit.with_locales_of(parser, ["en-US"])
    assert mixed.locales == parser.locales
    assert mixed.parse([text], locale="en-US")[0] == parser.parse([text], locale="en-US")[0]
    assert refit.parse([text], locale="en-US")[0].confidence != parser.parse([text], locale="en-US")[0].confidence
    with pytest.raises(InputError, match="other model knows"):
        refit.with_locales_of(parser, ["xx-XX"])

    # scoped to what it was taught, saved and loaded: the refit answers taught texts, the original the others
    en = [e for e in train if e.locale == "en-US"]
    taught = next(e for e in en if e.spans)
    scoped = ScopedParser(parser, refit, {"en-US": [taught]}, "phrasing", original_source=trained_model)
    texts = [taught.text, *[e.text for e in en if e.text != taught.text][:40]]
    wanted = [refit.parse(texts[:1], "en-US")[0], *parser.parse(texts[1:], "en-US")]
    assert any(a != b for a, b in zip(wanted, refit.parse(texts, "en-US")))  # the scope makes a difference
    saved = load(scoped.save(tmp_path / "scoped"))
    assert isinstance(saved, ScopedParser) and saved.scope == "phrasing"
    for model in (scoped, saved):
        got = model.parse(texts, "en-US")
        assert [(p.intent, p.slots) for p in got] == [(p.intent, p.slots) for p in wanted]
    assert saved.taught["en-US"][0].spans == taught.spans
    (tmp_path / "scoped" / "taught.jsonl").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match=r"taught\.jsonl is missing or corrupt"):
        load(tmp_path / "scoped")
    # scoped by confirmed goals: the goals travel with the model
    for scope in ("confirmed", "unknown"):
        confirmed = ScopedParser.taught_from(parser, refit, [taught], scope, trained_model, en[40:80])
        back = load(confirmed.save(tmp_path / scope))
        assert isinstance(back, ScopedParser) and back.scope == scope
        assert back.confirmed == confirmed.confirmed and back.confirmed["en-US"]
        assert [(p.intent, p.slots) for p in back.parse(texts, "en-US")] == [
            (p.intent, p.slots) for p in confirmed.parse(texts, "en-US")]  # fmt: skip
    (tmp_path / "confirmed" / "confirmed.jsonl").unlink()
    with pytest.raises(ModelError, match=r"confirmed\.jsonl is missing or corrupt"):
        load(tmp_path / "confirmed")


# -- the simulator, end to end --------------------------------------------------------------------
@pytest.mark.slow
def test_simulated_users_teach_the_assistant_rewrites_that_win(
    trained_model: Path, massive_path: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    args = ["selflearn", "simulate", str(trained_model), "--partition", "dev", "--locales", "en-US,ja-JP,sw-KE",
            "--users", "30", "--days", "3", "--requests", "4", "--seed", "3", "--min-support", "1",
            "--data", str(massive_path)]  # fmt: skip
    db = f"sqlite:///{tmp_path}/sim.db"
    learned = runner.invoke(app, [*args, "--db", db, "--report", str(tmp_path / "with.json")])
    assert learned.exit_code == 0, learned.output
    baseline = runner.invoke(app, [*args, "--no-learning", "--report", str(tmp_path / "without.json")])
    assert baseline.exit_code == 0, baseline.output
    with_, without = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("with", "without"))
    o, b = with_["overall"], without["overall"]
    assert o["requests"] == b["requests"] == 30 * 3 * 4
    assert b["rewritten_turns"] == 0 and b["rewrites"] == 0
    # the same goals and first phrasings in both runs: the no-learning figures agree with the real baseline run
    assert o["defect_rate_without_learning"] == b["defect_rate"]
    assert o["rewrites"] > 0 and o["rewritten_turns"] > 0 and o["wins"] > o["losses"]
    assert o["defect_rate"] < b["defect_rate"]
    assert set(with_["per_locale"]) == {"en-US", "ja-JP", "sw-KE"} and len(with_["per_day"]) == 3
    assert "defect reduction on recurring goals" in learned.output

    # the offline path: the simulation's log -> mined pairs and path examples -> the model trained again
    from kiloglot.nlu import load

    out, report = tmp_path / "retrained", tmp_path / "retrain.json"
    retrained = runner.invoke(app, ["selflearn", "--db", db, "--model", str(trained_model), "--out", str(out),
                                    "--data", str(massive_path), "--min-support", "1", "--paths", "--anchors",
                                    "--mined-weight", "2", "--path-weight", "1", "--path-max-failures", "auto",
                                    "--refit-scope", "phrasing", "--keep-worse", "--report", str(report)])  # fmt: skip
    assert retrained.exit_code == 0, retrained.output
    figures = json.loads(report.read_text())
    assert figures["examples"] > 0 and figures["kept"] and (out / "manifest.json").is_file()
    # scoped: the saved model is the refit answering only texts like its taught ones, the original the rest
    served = load(out)
    assert served.kind == "scoped" and served.scope == "phrasing"  # type: ignore[attr-defined]
    assert sum(map(len, served.taught.values())) == figures["examples"]  # type: ignore[attr-defined]
    assert 0 < figures["dev_exact_match_unscoped"] <= 1 and "the refit alone" in retrained.output
    linked = out / "members" / "original" / "manifest.json"
    assert linked.stat().st_ino == (trained_model / "manifest.json").stat().st_ino  # hard-linked, not copied
    assert set(figures["locales"]) <= {"en-US", "ja-JP", "sw-KE"}
    assert 0 < figures["dev_exact_match_before"] <= 1 and 0 < figures["dev_exact_match_after"] <= 1
    assert "more from the failed turns of reformulations that ended well" in retrained.output
    # the failure cut came from the raters' paths, and the report says from how many and which
    cut = figures["path_cut"]
    assert "path failure cut from the rated paths" in retrained.output and cut["min_precision"] == 0.85
    assert cut["max_failures"] is None or cut["max_failures"] >= 0
    assert all(0 <= good <= rated for good, rated in cut["rated"].values())


def test_the_ceilings_count_the_recurring_defects_that_rewrites_and_successes_could_reach() -> None:
    from kiloglot.learn.selflearn.simulate import Request, exact_rewrite_ceiling, learnable_ceiling

    def req(day: int, goal: str, text: str, ok: bool, solved: bool, recurring: bool = True) -> Request:
        return Request("en-US", day, 0, (goal,), recurring, ok, ok, 1, solved, first_text=text)

    requests = [
        req(0, "alarm", "wake me at seven", ok=False, solved=True, recurring=False),  # rephrased to success
        req(0, "ticket", "book the train", ok=False, solved=False, recurring=False),  # nobody gets through
        req(1, "alarm", "Wake me at seven!", ok=False, solved=True),  # same text, goal solved: both reach it
        req(1, "alarm", "rouse me at seven", ok=False, solved=True),  # new text, goal solved: successes only
        req(1, "ticket", "book the train", ok=False, solved=False),  # failed before, goal never solved: neither
        req(1, "alarm", "set an alarm for seven", ok=True, solved=True),  # no defect: not counted
    ]
    assert exact_rewrite_ceiling(requests) == round(1 / 3, 4)
    assert learnable_ceiling(requests) == round(2 / 3, 4)
    assert learnable_ceiling(requests[:2]) is None  # no recurring defect after the first day


@pytest.mark.slow
def test_retraining_between_days_teaches_the_parser_what_the_rewrites_knew(
    trained_model: Path, small_corpus, tmp_path: Path
) -> None:
    from kiloglot.learn.selflearn.retrain import RefitSettings, examples_from_rewrites
    from kiloglot.learn.selflearn.scope import ScopedParser
    from kiloglot.learn.selflearn.simulate import Simulation, SimulationSettings
    from kiloglot.nlu import load

    train, dev = small_corpus
    parser = load(trained_model)
    settings = SimulationSettings(locales=("en-US", "sw-KE"), users=30, days=3, requests_per_day=4, seed=3,
                                  retrain_every=1, mining=MiningSettings(min_support=1),
                                  refit=RefitSettings(scope="intent"))  # fmt: skip
    with pytest.raises(InputError, match="training data"):
        Simulation(parser, dev, Store(f"sqlite:///{tmp_path}/none.db"), settings, default_detector())
    store = Store(f"sqlite:///{tmp_path}/sim.db")
    sim = Simulation(parser, dev, store, settings, default_detector(), training=train)
    figures = sim.run().report()["overall"]
    assert [r["day"] for r in figures["retrains"]] == [1, 2] and figures["retrains"][0]["examples"] > 0
    assert sim.assistant.parser is sim.parser is not parser  # the assistant talks through the refit parser
    assert isinstance(sim.parser, ScopedParser) and sim.parser.scope == "intent"
    assert figures["wins"] > figures["losses"]
    changes = figures["changes"]  # every win and loss has one cause: the rewriter, or the refit on some text
    assert sum(n for k, n in changes.items() if k.endswith("_wins")) == figures["wins"]
    assert sum(n for k, n in changes.items() if k.endswith("_losses")) == figures["losses"]
    assert {k.rsplit("_", 1)[0] for k in changes} <= {"rewrite", "taught", "logged", "new"}
    rules = figures["scope_rules"]  # the refit's share of them, by the scope rule that let it answer
    for outcome in ("wins", "losses"):
        refit_changes = sum(n for k, n in changes.items() if k.endswith(outcome) and not k.startswith("rewrite"))
        assert sum(n for k, n in rules.items() if k.endswith(outcome)) == refit_changes
    assert rules and {k.rsplit("_", 1)[0] for k in rules} <= {"taught", "phrasing", "goal", "intent"}
    # the refit parser reads the mined failed utterances as their rewrites' parses, without the rewriter
    outcomes = label_turns(store.turn_log(), default_detector(), store.feedback())
    examples, _ = examples_from_rewrites(mine_rewrites(outcomes, MiningSettings(min_support=1)))
    assert examples
    old = sum(parser.parse([e.text], locale=e.locale)[0].intent == e.intent for e in examples)
    new = sum(sim.parser.parse([e.text], locale=e.locale)[0].intent == e.intent for e in examples)
    assert new > old
    store.close()

    # a replay gate nothing can pass keeps the original parser; anchors and every good path join the refit data
    strict = replace(settings, refit=RefitSettings(mined_weight=2, anchors=True, replay_gate=1e9, paths=True))
    gated = Simulation(parser, dev, Store(f"sqlite:///{tmp_path}/gated.db"), strict, default_detector(), training=train)
    refits = gated.run().report()["overall"]["retrains"]
    assert refits and all(not r["applied"] and r["anchors"] > 0 for r in refits)
    assert all(r["from_paths"] > 0 and r["examples"] > r["from_paths"] for r in refits)
    assert all(not c["kept"] for r in refits for c in r["replay"].values())
    assert gated.parser is parser


# -- the HTTP API and the page's thumbs ---------------------------------------------------------
@pytest.fixture()
def client(tmp_path: Path):
    parser = ScriptedParser(["en-US"])
    parser.say("set an alarm for 7 am", "alarm_set", 0.97, time="7 am")
    config = ServerConfig(database=f"sqlite:///{tmp_path / 's.db'}", api_keys=("key-a", "key-b"))
    Store(config.database).save_mined_rewrites([_mined("wake me 7 am", "set an alarm for 7 am")])
    app = create_app(parser, config, clock=lambda: NOW)  # its rewriter loads them (and reloads every 30 s)
    with TestClient(app) as c:
        yield c, app.state.assistant.store


def test_feedback_rewrites_and_forgetting_over_http(client) -> None:
    c, store = client
    a, b = {"X-API-Key": "key-a"}, {"X-API-Key": "key-b"}
    turn = c.post("/v1/converse", json={"text": "wake me 7 am", "locale": "en-US"},
                  headers={**a, "X-Kiloglot-User": "ann"}).json()  # fmt: skip
    assert turn["user_id"] == "ann" and turn["rewritten"]["to"] == "set an alarm for 7 am"
    assert turn["parse"]["intent"] == "alarm_set" and isinstance(turn["turn_id"], int)
    as_said = c.post("/v1/converse", json={"text": "wake me 7 am", "locale": "en-US", "rewrite": False,
                                           "user_id": "ann"}, headers=a).json()  # fmt: skip
    assert as_said["rewritten"] is None and as_said["parse"]["intent"] == "general_quirky"
    ok = c.post("/v1/feedback", json={"turn_id": as_said["turn_id"], "rating": "bad", "intent": "alarm_set"},
                headers=a)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["rating"] == "bad"
    assert store.feedback()[as_said["turn_id"]].intent == "alarm_set"
    # another client's turn is not found; a bad rating or intent is refused with a reason
    assert c.post("/v1/feedback", json={"turn_id": turn["turn_id"], "rating": "good"}, headers=b).status_code == 404
    assert c.post("/v1/feedback", json={"turn_id": turn["turn_id"], "rating": "meh"}, headers=a).status_code == 422
    wrong = c.post("/v1/feedback", json={"turn_id": turn["turn_id"], "rating": "bad", "intent": "nope"}, headers=a)
    assert wrong.status_code == 400 and "nope" in wrong.json()["error"]["message"]
    bad_user = c.post("/v1/converse", json={"text": "hi", "locale": "en-US", "user_id": "a b"}, headers=a)
    assert bad_user.status_code == 422
    assert "kiloglot_rewritten_turns_total" in c.get("/metrics", headers=a).text
    # another client cannot delete ann's sessions; her own client can
    assert c.delete("/v1/users/ann", headers=b).json()["sessions_deleted"] == 0
    assert c.delete("/v1/users/ann", headers=a).json()["sessions_deleted"] == 2
    assert store.turn_log() == [] and store.feedback() == {}


def test_the_kill_switch_turns_every_rewrite_off(tmp_path: Path) -> None:
    parser = ScriptedParser(["en-US"])
    parser.say("set an alarm for 7 am", "alarm_set", 0.97, time="7 am")
    config = ServerConfig(database=f"sqlite:///{tmp_path / 's.db'}", rewrites=False)
    Store(config.database).save_mined_rewrites([_mined("wake me 7 am", "set an alarm for 7 am")])
    app = create_app(parser, config, clock=lambda: NOW)
    with TestClient(app) as c:
        turn = c.post("/v1/converse", json={"text": "wake me 7 am", "locale": "en-US"}).json()
    assert turn["rewritten"] is None and turn["parse"]["intent"] == "general_quirky"


def test_rewrites_are_mined_reviewed_and_exported_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(db)
    parser = ScriptedParser(["en-US"])
    parser.say("set an alarm for 7 am", "alarm_set", 0.97, time="7 am")
    assistant = Assistant(parser, store, clock=lambda: clock[0])
    clock = [T0]
    for user in ("ann", "bob", "cid"):
        clock[0] += timedelta(hours=1)
        assistant.converse(f"s-{user}", "wake me 7 am", "en-US", user_id=user)
        clock[0] += timedelta(seconds=5)
        assistant.converse(f"s-{user}", "set an alarm for 7 am", "en-US", user_id=user)
    runner = CliRunner()
    mined = runner.invoke(app, ["selflearn", "mine", "--db", db])
    assert mined.exit_code == 0, mined.output
    assert "'wake me 7 am' -> 'set an alarm for 7 am'" in mined.output and "1 added" in mined.output
    (row,) = store.rewrites()
    exported = runner.invoke(app, ["selflearn", "rewrites", "--db", db, "--json"])
    assert json.loads(exported.output)["target"] == "set an alarm for 7 am"
    assert runner.invoke(app, ["selflearn", "disable", str(row.id), "--note", "reviewed", "--db", db]).exit_code == 0
    assert store.rewrites()[0].status == "disabled"
    assert "no rewrite 99" in runner.invoke(app, ["selflearn", "enable", "99", "--db", db]).output
    forgot = runner.invoke(app, ["selflearn", "forget-user", "ann", "--db", db])
    assert "1 session(s) deleted" in forgot.output and "ann" not in {t.user_id for t in store.turn_log()}
    needs = runner.invoke(app, ["selflearn", "--db", db])
    assert needs.exit_code != 0 and "--model" in needs.output
    added = runner.invoke(app, ["selflearn", "add", "--db", db, "--locale", "en-US", "--from", "Traffic today?",
                                "--intent", "transport_traffic"])  # fmt: skip
    assert added.exit_code == 0, added.output
    meaning = next(r for r in store.rewrites() if r.origin == "manual")
    assert (meaning.source, meaning.target, meaning.intent) == ("traffic today", "Traffic today?", "transport_traffic")
    listed = runner.invoke(app, ["selflearn", "rewrites", "--db", db])
    assert "as transport_traffic" in listed.output
    for wrong in (["--intent", "Not An Intent"], []):
        refused = runner.invoke(app, ["selflearn", "add", "--db", db, "--locale", "en-US", "--from", "hi", *wrong])
        assert refused.exit_code != 0 and "--intent" in refused.output
    for bad in (
        ["--mined-weight", "0"],
        ["--path-weight", "0"],
        ["--path-max-failures", "0"],
        ["--path-max-failures", "most"],
        ["--path-min-precision", "0"],
        ["--replay-gate", "-1"],
        ["--corrections", "1.5"],
        ["--refit-scope", "near"],
    ):
        refused = runner.invoke(app, ["selflearn", "simulate", str(tmp_path / "no-model"), *bad])
        assert refused.exit_code != 0 and bad[0] in refused.output
    refused = runner.invoke(app, ["selflearn", "--db", db, "--model", str(tmp_path), "--out", str(tmp_path / "o"),
                                  "--path-weight", "0"])  # fmt: skip
    assert refused.exit_code != 0 and "--path-weight 0" in refused.output
    refused = runner.invoke(app, ["selflearn", "--db", db, "--model", str(tmp_path), "--out", str(tmp_path / "o"),
                                  "--paths", "--path-max-failures", "auto", "--path-min-precision", "2"])  # fmt: skip
    assert refused.exit_code != 0 and "--path-min-precision 2" in refused.output
    refused = runner.invoke(app, ["selflearn", "--db", db, "--model", str(tmp_path), "--out", str(tmp_path / "o"),
                                  "--refit-scope", "near"])  # fmt: skip
    assert refused.exit_code != 0 and "--refit-scope 'near'" in refused.output


@pytest.mark.skipif(
    not os.environ.get("KILOGLOT_TEST_POSTGRES_URL") and os.environ.get("KILOGLOT_REQUIRE_SERVICES") != "1",
    reason="no PostgreSQL server: run scripts/test_services.sh (make test does)",
)
def test_the_log_feedback_rewrites_and_forgetting_on_postgresql() -> None:
    url = os.environ.get("KILOGLOT_TEST_POSTGRES_URL")
    assert url, "KILOGLOT_TEST_POSTGRES_URL is not set but services are required"
    store, tag = Store(url), uuid.uuid4().hex[:8]
    parser = ScriptedParser(["en-US"])
    parser.say("play jazz", "play_music", 0.97)
    rid = store.add_rewrite("en-US", f"jazz please {tag}", "play jazz", note="test")
    assistant = Assistant(parser, store, rewriter=Rewriter(store))
    turn = assistant.converse(f"s-{tag}", f"Jazz, please {tag}!", "en-US", user_id=f"u-{tag}")
    assert turn.rewritten is not None and turn.rewritten["id"] == rid and turn.parse["intent"] == "play_music"
    store.record_feedback(turn.turn_id, "good")
    assert store.feedback()[turn.turn_id].user_id == f"u-{tag}"
    mine = [t for t in store.turn_log(["en-US"]) if t.user_id == f"u-{tag}"]
    assert [(t.rewritten, t.rewrite_id) for t in mine] == [("play jazz", rid)]
    store.set_rewrite_status(rid, "disabled", "test over")
    assert store.forget_user(f"u-{tag}") == 1
    assert turn.turn_id not in store.feedback() and all(t.user_id != f"u-{tag}" for t in store.turn_log())
