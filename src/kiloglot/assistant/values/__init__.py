"""Read slot values (times, dates, durations, numbers) written in the user's language.

Slot text arrives as the user said it ("seven thirty pm", "halb acht", "saa mbili asubuhi", "٧:٣٠ م",
"明日", "10 Minuten", "in 10 minutes"). Maintained data does the language work: CLDR through babel (day
periods and their hour ranges, weekday names, duration units), text2num and num2words (number words),
dateparser (dates beyond the everyday words); each locale's catalogue in ``messages/`` adds the spoken
words those lack. A reader returns None when it cannot tell; a skill then asks or keeps the user's words.
"""

from kiloglot.assistant.values.calendar import read_date
from kiloglot.assistant.values.clock import read_time
from kiloglot.assistant.values.durations import read_duration
from kiloglot.assistant.values.moments import When, next_datetime, read_when
from kiloglot.assistant.values.numbers import number_table, read_number, with_digits
from kiloglot.assistant.values.text import latin_digits, normalise, word_pattern


def warm_up(locales: list[str]) -> None:
    """Load what reading values in these locales needs (dateparser's languages, number tables, CLDR
    patterns), so that a server's first turns do not pay for it while others wait."""
    from datetime import UTC, datetime

    from kiloglot.assistant.nlg import Localizer

    now = datetime(2026, 1, 1, tzinfo=UTC)
    for locale in locales:
        loc = Localizer(locale)
        read_when("7:30", loc, now, utterance="in 10 minutes", date_text="1 january")


__all__ = [
    "When",
    "latin_digits",
    "next_datetime",
    "normalise",
    "number_table",
    "read_date",
    "read_duration",
    "read_number",
    "read_time",
    "read_when",
    "warm_up",
    "with_digits",
    "word_pattern",
]
