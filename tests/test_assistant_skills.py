"""Every skill answers in each of the 12 reply locales, from that locale's templates, with CLDR values."""

from __future__ import annotations

import re

import pytest
from assistant_helpers import NOW, FakeNews, FakeSearch, FakeWeather, ScriptedParser

from kiloglot.assistant import Assistant, Providers, Store
from kiloglot.assistant.nlg import REPLY_LOCALES
from kiloglot.assistant.skills import SKILL_CLASSES

# scenario -> (text, intent, slots): values any locale can read (digits, names)
CASES = {
    "alarm": ("alarm 7:30 tomorrow", "alarm_set", {"time": "7:30"}),
    "audio": ("volume up", "audio_volume_up", {}),
    "calendar": ("meeting Zed 18:00", "calendar_set", {"event_name": "Zed", "time": "18:00"}),
    "cooking": ("recipe pasta", "cooking_recipe", {"food_type": "pasta"}),
    "datetime": ("time Tokyo", "datetime_query", {"place_name": "Tokyo"}),
    "email": ("add contact Ana", "email_addcontact", {"person": "Ana"}),
    "general": ("hello", "general_greet", {}),
    "iot": ("lights Kitchen", "iot_hue_lighton", {"house_place": "Kitchen"}),
    "lists": ("new list Zed", "lists_createoradd", {"list_name": "Zed"}),
    "music": ("I like Queen", "music_likeness", {"artist_name": "Queen"}),
    "news": ("news", "news_query", {}),
    "play": ("play Queen", "play_music", {"artist_name": "Queen"}),
    "qa": ("maths hmm", "qa_maths", {}),
    "recommendation": ("recommend", "recommendation_events", {}),
    "social": ("post", "social_post", {}),
    "takeaway": ("order", "takeaway_order", {}),
    "transport": ("train", "transport_query", {}),
    "weather": ("weather", "weather_query", {}),
}


def turn(locale: str, scenario: str, tmp_path, providers: Providers | None = None):
    parser = ScriptedParser(REPLY_LOCALES)
    text, intent, slots = CASES[scenario]
    parser.say(text, intent, 0.95, **slots)
    assistant = Assistant(
        parser,
        Store(f"sqlite:///{tmp_path / 'a.db'}"),
        providers=providers,
        clock=lambda: NOW,
        default_timezone="Europe/Berlin",
    )
    return assistant.converse(f"{scenario}-{locale}", text, locale)


def test_every_scenario_has_one_skill_module():
    assert sorted(c.scenario for c in SKILL_CLASSES) == sorted(CASES)
    intents = [i for c in SKILL_CLASSES for i in c.intents]
    assert len(intents) == len(set(intents)) == 60


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_each_skill_replies_in_each_of_the_12_locales(scenario, tmp_path):
    replies = {}
    for locale in REPLY_LOCALES:
        r = turn(locale, scenario, tmp_path)
        assert r.reply_locale == locale, (scenario, locale, r.reply)
        assert r.action in ("answer", "not_configured"), (scenario, locale, r.action, r.reply)
        assert r.reply and "{" not in r.reply
        replies[locale] = r.reply
    english = replies["en-US"]
    for locale, reply in replies.items():
        if locale != "en-US":
            assert reply != english, (scenario, locale, reply)
    assert len(set(replies.values())) == len(REPLY_LOCALES)  # twelve different replies


def test_times_in_replies_follow_each_locales_clock_and_digits(tmp_path):
    got = {loc: turn(loc, "alarm", tmp_path).reply for loc in ("en-US", "de-DE", "ar-SA", "hi-IN", "ja-JP")}
    assert re.search(r"7:30\s?AM", got["en-US"])
    assert "07:30" in got["de-DE"]
    assert "٧:٣٠" in got["ar-SA"]  # Arabic-Indic digits, CLDR's default for ar-SA
    assert "7:30" in got["hi-IN"] and "am" in got["hi-IN"].lower()  # Latin digits, 12-hour clock
    assert "7:30" in got["ja-JP"] and "2026/11/25" in got["ja-JP"]


def test_service_skills_use_a_configured_provider(tmp_path):
    providers = Providers(
        search=FakeSearch(),
        news=FakeNews(),
        weather=FakeWeather(),
        transport=FakeSearch(),
        takeaway=FakeSearch(),
        social=FakeSearch(),
        recommendations=FakeSearch(),
        recipes=FakeSearch(),
    )
    assert turn("en-US", "transport", tmp_path, providers).reply == "answer for transport_query"
    assert turn("en-US", "news", tmp_path, providers).reply == "Headlines: Headline one and Headline two."
    us = turn("en-US", "weather", tmp_path, providers).reply
    de = turn("de-DE", "weather", tmp_path, providers).reply
    assert "70°F" in us and "21 °C" in de


def test_email_through_a_local_maildir(tmp_path):
    import mailbox
    from email.message import EmailMessage

    from kiloglot.assistant.providers import MaildirEmail

    box = MaildirEmail(tmp_path / "mail")
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Date"] = "Ana <ana@example.org>", "Lunch?", "Tue, 24 Nov 2026 08:00:00 +0000"
    msg.set_content("hi")
    box.box.add(mailbox.MaildirMessage(msg))
    parser = ScriptedParser(["en-US"])
    parser.say("any email from ana", "email_query", 0.9, person="ana")
    parser.say("email ana", "email_sendemail", 0.9, person="ana")
    a = Assistant(parser, Store(f"sqlite:///{tmp_path / 'a.db'}"), providers=Providers(email=box), clock=lambda: NOW)
    assert a.converse("s", "any email from ana", "en-US").reply == "Latest email: Ana: Lunch?."
    assert a.converse("s", "email ana", "en-US").reply == "Your email to ana is in the outbox."
    assert box.outbox() == [{"to": "ana", "subject": ""}]


def test_maths_and_time_zone_conversion(tmp_path):
    parser = ScriptedParser(["en-US", "de-DE"])
    parser.say("what is 12 times 3 plus 4", "qa_maths")
    parser.say("was ist drei mal vier", "qa_maths")
    parser.say("9:00 in London in Tokyo", "datetime_convert", 0.9, time="9:00", place_name="London")
    a = Assistant(parser, Store(f"sqlite:///{tmp_path / 'a.db'}"), clock=lambda: NOW)
    assert a.converse("m", "what is 12 times 3 plus 4", "en-US").reply == "12 * 3 + 4 = 40."
    assert a.converse("d", "was ist drei mal vier", "de-DE").reply == "3 * 4 = 12."
    # two place_name values: convert from the first to the second
    parser.script["9:00 in London in Tokyo"] = ("datetime_convert", 0.9, {})
    from kiloglot.nlu.parse import Parse, SlotValue

    text = "9:00 in London in Tokyo"
    fixed = Parse(
        text,
        "en-US",
        "datetime_convert",
        0.9,
        (
            SlotValue("time", "9:00", 0, 4),
            SlotValue("place_name", "London", 8, 14),
            SlotValue("place_name", "Tokyo", 18, 23),
        ),
        (("datetime_convert", 0.9),),
    )
    parser.parse = lambda texts, locale: [fixed]  # type: ignore[method-assign]
    assert (
        a.converse("c", text, "en-US").reply == "9:00\u202fAM in London is 6:00\u202fPM in Tokyo."
        or a.converse("c2", text, "en-US").reply == "9:00 AM in London is 6:00 PM in Tokyo."
    )


def test_each_declared_intent_has_exactly_one_handler():
    from kiloglot.assistant.skill import Frame, Skill, SkillResult, handles

    for cls in SKILL_CLASSES:
        assert set(cls.intents) == set(cls._handlers), cls.__name__
        assert all(callable(getattr(cls, name)) for name in cls._handlers.values())
    with pytest.raises(TypeError, match="two handlers for intent 'x_a'"):

        class Twice(Skill):
            scenario = "x"

            @handles("x_a")
            def one(self, frame, ctx):
                return SkillResult("a")

            @handles("x_a")
            def two(self, frame, ctx):
                return SkillResult("b")

    class Echo(Skill):
        scenario = "echo"

        @handles("echo_a", required=("thing",))
        @handles("echo_b")
        def say(self, frame, ctx):
            return SkillResult(frame.intent)

    assert Echo.intents["echo_a"].required == ("thing",) and Echo().missing(Frame("echo_a")) == ["thing"]
    assert Echo().handle(Frame("echo_b"), None).message == "echo_b"
    with pytest.raises(KeyError, match="no handler for intent 'echo_c'"):
        Echo().handle(Frame("echo_c"), None)
