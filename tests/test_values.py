"""Times, dates and durations as people say them, in every reply locale: clock times, day periods, minute
phrases, local clock conventions (Swahili hours from 6 am, the Thai six-hour clock), moments counted from
now, durations, relative days. Now is Tuesday 2026-11-24 09:00."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from kiloglot.assistant.nlg import REPLY_LOCALES, Localizer, _catalogue
from kiloglot.assistant.values import read_date, read_duration, read_number, read_time, read_when, with_digits

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TUE, WED = date(2026, 11, 24), date(2026, 11, 25)

# (locale, what was said, what it means): "HH:MM" a clock time (the next one), "+N" a moment N seconds from
# now, "N s" a duration, "day YYYY-MM-DD HH:MM" a clock time on that day
SPOKEN = [
    ("en-US", "seven thirty pm", "19:30"),
    ("en-US", "half past seven", "07:30"),
    ("en-US", "quarter to eight in the evening", "19:45"),
    ("en-US", "nine at night", "21:00"),
    ("en-US", "noon", "12:00"),
    ("en-US", "in 10 minutes", "+600"),
    ("en-US", "in an hour", "+3600"),
    ("en-US", "10 minutes", "600 s"),
    ("en-US", "half an hour", "1800 s"),
    ("en-US", "tomorrow at 7:30 pm", "day 2026-11-25 19:30"),
    ("de-DE", "um halb acht abends", "19:30"),  # halb acht is 7:30, not 8:30
    ("de-DE", "viertel nach sieben", "07:15"),
    ("de-DE", "dreiviertel acht", "07:45"),
    ("de-DE", "7 Uhr 30", "07:30"),
    ("de-DE", "19.45", "19:45"),
    ("de-DE", "in 10 Minuten", "+600"),
    ("de-DE", "eine halbe Stunde", "1800 s"),
    ("de-DE", "morgen um 7 Uhr", "day 2026-11-25 07:00"),
    ("fr-FR", "sept heures et demie du soir", "19:30"),
    ("fr-FR", "19h30", "19:30"),
    ("fr-FR", "huit heures moins le quart", "07:45"),
    ("fr-FR", "dans 10 minutes", "+600"),
    ("fr-FR", "demain à 7 heures", "day 2026-11-25 07:00"),
    ("es-ES", "a las siete y media de la tarde", "19:30"),
    ("es-ES", "las ocho menos cuarto", "07:45"),
    ("es-ES", "en 10 minutos", "+600"),
    ("es-ES", "media hora", "1800 s"),
    ("es-ES", "mañana a las 7", "day 2026-11-25 07:00"),
    ("ar-SA", "٧:٣٠", "07:30"),
    ("ar-SA", "٧:٣٠ م", "19:30"),
    ("ar-SA", "السابعة والنصف مساء", "19:30"),
    ("ar-SA", "الساعة الثامنة إلا ربع", "07:45"),
    ("ar-SA", "بعد 10 دقائق", "+600"),
    ("ar-SA", "بعد ساعة", "+3600"),
    ("ar-SA", "غدا الساعة السابعة", "day 2026-11-25 07:00"),
    ("hi-IN", "शाम 7 बजे", "19:00"),
    ("hi-IN", "साढ़े सात बजे", "07:30"),
    ("hi-IN", "पौने आठ बजे", "07:45"),
    ("hi-IN", "सवा सात बजे", "07:15"),
    ("hi-IN", "10 मिनट में", "+600"),
    ("hi-IN", "कल सुबह 7 बजे", "day 2026-11-25 07:00"),
    ("ja-JP", "午後7時", "19:00"),
    ("ja-JP", "7時半", "07:30"),
    ("ja-JP", "七時三十分", "07:30"),
    ("ja-JP", "10分後", "+600"),
    ("ja-JP", "5分", "300 s"),
    ("ja-JP", "明日の朝7時", "day 2026-11-25 07:00"),
    ("zh-CN", "晚上七点", "19:00"),
    ("zh-CN", "七点半", "07:30"),
    ("zh-CN", "七点一刻", "07:15"),
    ("zh-CN", "下午两点", "14:00"),
    ("zh-CN", "10分钟后", "+600"),
    ("zh-CN", "半小时", "1800 s"),
    ("zh-CN", "明天早上7点", "day 2026-11-25 07:00"),
    ("ko-KR", "오후 7시 30분", "19:30"),
    ("ko-KR", "일곱 시 반", "07:30"),
    ("ko-KR", "저녁 일곱시", "19:00"),
    ("ko-KR", "10분 후", "+600"),
    ("ko-KR", "내일 아침 7시", "day 2026-11-25 07:00"),
    ("ru-RU", "в семь вечера", "19:00"),
    ("ru-RU", "в половине восьмого", "07:30"),
    ("ru-RU", "без четверти восемь", "07:45"),
    ("ru-RU", "через 10 минут", "+600"),
    ("ru-RU", "полчаса", "1800 s"),
    ("ru-RU", "завтра в 7:30", "day 2026-11-25 07:30"),
    # Swahili time: hours counted from 6 am, so saa mbili (hour two) asubuhi is 8 am
    ("sw-KE", "saa mbili asubuhi", "08:00"),
    ("sw-KE", "saa kumi na mbili asubuhi", "06:00"),
    ("sw-KE", "saa kumi na moja jioni", "17:00"),
    ("sw-KE", "saa sita mchana", "12:00"),
    ("sw-KE", "saa tisa usiku", "03:00"),
    ("sw-KE", "saa moja na nusu usiku", "19:30"),
    ("sw-KE", "saa tatu kasoro robo asubuhi", "08:45"),
    ("sw-KE", "baada ya dakika kumi", "+600"),
    ("sw-KE", "saa moja kutoka sasa", "+3600"),
    ("sw-KE", "masaa mawili", "7200 s"),
    ("sw-KE", "kwa saa mbili", "7200 s"),
    ("sw-KE", "kesho saa moja asubuhi", "day 2026-11-25 07:00"),
    # the Thai six-hour clock
    ("th-TH", "ตีสอง", "02:00"),
    ("th-TH", "เจ็ดโมงเช้า", "07:00"),
    ("th-TH", "บ่ายสองโมง", "14:00"),
    ("th-TH", "ห้าโมงเย็น", "17:00"),
    ("th-TH", "สองทุ่ม", "20:00"),
    ("th-TH", "แปดโมงสี่สิบห้า", "08:45"),
    ("th-TH", "ตีห้าครึ่ง", "05:30"),
    ("th-TH", "อีก 10 นาที", "+600"),
    ("th-TH", "สองชั่วโมง", "7200 s"),
    ("th-TH", "พรุ่งนี้เจ็ดโมงเช้า", "day 2026-11-25 07:00"),
]


def test_the_table_covers_every_reply_locale_with_each_kind_of_value():
    for locale in REPLY_LOCALES:
        kinds = {meaning.split()[0][0] if not meaning.startswith("day") else "d" for loc, _, meaning in SPOKEN
                 if loc == locale}  # fmt: skip
        assert kinds >= {"+", "d"} and any(k.isdigit() for k in kinds), (locale, kinds)


@pytest.mark.parametrize(("locale", "said", "meaning"), SPOKEN, ids=[f"{loc}:{s}" for loc, s, _ in SPOKEN])
def test_spoken_times_dates_and_durations(locale, said, meaning):
    found = read_when(said, Localizer(locale), NOW)
    if meaning.startswith("+"):
        assert found.relative and found.at is not None, found
        assert (found.at - NOW).total_seconds() == float(meaning[1:])
    elif meaning.endswith(" s"):
        assert found.at is None and found.seconds == float(meaning[:-2]), found
    elif meaning.startswith("day"):
        _, day, clock = meaning.split()
        assert found.at is not None and found.at.date().isoformat() == day, found
        assert found.at.strftime("%H:%M") == clock, found
    else:
        assert found.at is not None and found.at.strftime("%H:%M") == meaning, found
        assert not found.relative


def test_a_clock_time_is_the_next_one_and_a_day_pins_it():
    en = Localizer("en-US")
    assert read_when("7 am", en, NOW).at == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 7 am has passed today
    assert read_when("10 am", en, NOW).at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert read_when("7 am", en, NOW, date_text="friday").at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


def test_words_around_the_slot_decide_moment_or_length():
    en = Localizer("en-US")
    # the parser tagged only "10 minutes"; the utterance says "in" (a moment) or "for" (a timer)
    assert read_when("10 minutes", en, NOW, utterance="wake me up in 10 minutes").relative
    timer = read_when("10 minutes", en, NOW, utterance="set a timer for 10 minutes")
    assert timer.at is None and timer.seconds == 600


def test_read_time_date_duration_number_directly():
    assert read_time("whenever", Localizer("en-US")) is None
    assert read_time("in 10 minutes", Localizer("en-US")) is None  # a duration names no clock time
    assert read_date("kesho", Localizer("sw-KE"), TUE) == WED
    assert read_date("übermorgen", Localizer("de-DE"), TUE) == date(2026, 11, 26)
    assert read_date("vendredi", Localizer("fr-FR"), TUE) == date(2026, 11, 27)
    assert read_date("24 December", Localizer("en-US"), TUE) == date(2026, 12, 24)  # dateparser, beyond our words
    assert read_duration("1 hour 30 minutes", Localizer("en-US")) == 5400
    assert read_duration("anderthalb Stunden", Localizer("de-DE")) == 5400
    assert read_number("twenty-five", Localizer("en-US")) == 25  # text2num
    assert read_number("сорок пять", Localizer("ru-RU")) == 45  # num2words, read backwards
    assert read_number("ishirini na tano", Localizer("sw-KE")) == 25  # the catalogue
    assert read_time("noon", Localizer("en-US")) == time(12, 0)


def test_number_words_do_not_eat_other_words():
    assert with_digits("알람 맞춰 주세요", Localizer("ko-KR")) == "알람 맞춰 주세요"  # 세 (three) inside a word
    assert with_digits("which one", Localizer("en-US")) in ("which one", "which 1")
    assert with_digits("someone", Localizer("en-US")) == "someone"


@pytest.mark.parametrize("locale", REPLY_LOCALES)
def test_every_reply_locale_has_the_words_the_readers_need(locale):
    lexicon = _catalogue(locale)["lexicon"]
    for key in ("day_periods", "minute_offsets", "later", "for", "all", "tomorrow", "today", "numbers"):
        assert lexicon.get(key), (locale, key)
