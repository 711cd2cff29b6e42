"""Replies: catalogues complete for the 12 reply locales; CLDR formatting; reading spoken values."""

from __future__ import annotations

import string
from datetime import date, datetime, time

import pytest

from kiloglot.assistant.nlg import FALLBACK, REPLY_LOCALES, Localizer, _catalogue
from kiloglot.assistant.values import latin_digits, read_date, read_duration, read_number, read_time


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("locale", REPLY_LOCALES)
def test_catalogue_has_every_message_with_the_same_placeholders(locale):
    english = _catalogue(FALLBACK)["messages"]
    own = _catalogue(locale)["messages"]
    assert set(own) == set(english), set(english) ^ set(own)
    for key, template in english.items():
        assert fields(own[key]) == fields(template), (locale, key)
    cat = _catalogue(locale)
    for group in ("scenario", "service", "slot", "words"):
        assert set(cat[group]) == set(_catalogue(FALLBACK)[group]), (locale, group)


def test_cldr_formats_time_date_and_digits_per_locale():
    t = datetime(2026, 11, 24, 19, 30)
    assert Localizer("en-US").time(t) == "7:30\u202fPM" or Localizer("en-US").time(t) == "7:30 PM"
    assert Localizer("de-DE").time(t) == "19:30"
    assert Localizer("ko-KR").time(t).endswith(" 7:30")  # Korean puts the day period first (12-hour clock)
    ar = Localizer("ar-SA")
    assert ar.time(t).startswith("٧:٣٠") and not any(c.isascii() and c.isdigit() for c in ar.time(t))
    assert "٢٠٢٦" in ar.date(t)
    assert Localizer("hi-IN").number(1234567) == "12,34,567"  # Indian grouping, Latin digits (CLDR default)
    assert Localizer("de-DE").number(1234.5) == "1.234,5"
    assert Localizer("ja-JP").date(t, "medium") == "2026/11/24"
    assert (
        Localizer("fr-FR").unit(21, "temperature-celsius") == "21\u202f°C"
        or Localizer("fr-FR").unit(21, "temperature-celsius") == "21 °C"
    )


def test_locale_without_catalogue_falls_back_to_english_text_but_keeps_its_formats():
    loc = Localizer("pt-PT")
    text, source = loc.render("alarm_set", when=loc.time(time(19, 30)))
    assert source == FALLBACK and text == "Alarm set for 19:30."


def test_read_time_in_several_languages():
    assert read_time("seven thirty pm", Localizer("en-US")) == time(19, 30)
    assert read_time("7 am", Localizer("en-US")) == time(7, 0)
    assert read_time("19.45", Localizer("de-DE")) == time(19, 45)
    assert read_time("sieben uhr", Localizer("de-DE")) == time(7, 0)
    assert read_time("午後7時", Localizer("ja-JP")) == time(19, 0)
    assert read_time("٧:٣٠ م", Localizer("ar-SA")) == time(19, 30)
    assert read_time("noon", Localizer("en-US")) == time(12, 0)
    assert read_time("whenever", Localizer("en-US")) is None


def test_read_date_duration_and_number():
    today = date(2026, 11, 24)  # Tuesday
    assert read_date("morgen", Localizer("de-DE"), today) == date(2026, 11, 25)
    assert read_date("明日", Localizer("ja-JP"), today) == date(2026, 11, 25)
    assert read_date("friday", Localizer("en-US"), today) == date(2026, 11, 27)
    assert read_date("vendredi", Localizer("fr-FR"), today) == date(2026, 11, 27)
    assert read_duration("10 Minuten", Localizer("de-DE")) == 600
    assert read_duration("1 hour 30 minutes", Localizer("en-US")) == 5400
    assert read_duration("5分", Localizer("ja-JP")) == 300
    assert read_duration("ten minutes", Localizer("en-US")) == 600
    assert read_number("twenty", Localizer("en-US")) == 20
    assert latin_digits("٣٠ ७ ３") == "30 7 3"
