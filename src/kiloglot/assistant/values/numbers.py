"""Number words -> digits, per language.

text2num reads compound number words ("twenty-five", "einundzwanzig", "quarante-cinq") in the languages it
has grammars for; num2words, run backwards over 0-99, gives the words of the others it knows (Arabic,
Japanese, Korean, Russian, Thai...). A locale's catalogue adds what neither has (Swahili, Hindi, Korean
native numerals, Russian ordinal hours, Chinese 两).
"""

from __future__ import annotations

import logging
import re
from functools import cache

from kiloglot.assistant.nlg import Localizer, _catalogue
from kiloglot.assistant.values.text import normalise, word_pattern

log = logging.getLogger(__name__)

TEXT2NUM_LANGUAGES = frozenset({"en", "fr", "es", "de", "pt", "it", "nl", "ca"})
# Chinese writes 1-99 with the same characters as Japanese (二十五), which num2words does know.
_NUM2WORDS_AS = {"zh": "ja"}


def _num2words_table(language: str) -> dict[str, int]:
    from num2words import CONVERTER_CLASSES, num2words

    lang = _NUM2WORDS_AS.get(language, language)
    if lang not in CONVERTER_CLASSES:
        return {}
    table: dict[str, int] = {}
    for n in range(100):
        try:
            word = normalise(num2words(n, lang=lang))
        except (NotImplementedError, OverflowError, TypeError, ValueError):  # pragma: no cover - per language
            continue
        if language == "ko" and len(word) == 1:
            continue  # one-syllable Sino-Korean numerals (이, 삼, 오...) are everyday words too
        for variant in {word, word.replace("-", " "), word.replace(" و ", " و"), word.replace("-", "")}:
            table.setdefault(variant, n)
    return table


@cache
def number_table(locale: str) -> dict[str, float]:
    """Every number word of ``locale`` we know, longest first."""
    language = locale.split("-")[0]
    table: dict[str, float] = dict(_num2words_table(language))
    for word, value in _catalogue(locale).get("lexicon", {}).get("numbers", {}).items():
        table[normalise(str(word))] = float(value)
    return dict(sorted(table.items(), key=lambda kv: -len(kv[0])))


# Arabic writes "and", "with" and "to" onto the next word: وأربعين, بربع, لستة
_CLITICS = {"ar": "(?:و|ب|ل)"}


@cache
def _table_pattern(locale: str) -> re.Pattern[str] | None:
    words = number_table(locale)
    if not words:
        return None
    clitic = _CLITICS.get(locale.split("-")[0])
    alternatives = "|".join(f"(?:{word_pattern(w)})" for w in words)
    if clitic:
        bare = "|".join(re.escape(w) for w in words)
        alternatives = rf"(?<!\w)(?P<clitic>{clitic})(?P<word>{bare})(?!\w)|{alternatives}"
    return re.compile(alternatives)


def with_digits(text: str, loc: Localizer) -> str:
    """``text`` normalised, each number word replaced by its digits ("saa kumi na moja" -> "saa 11")."""
    t = normalise(text)
    language = loc.locale.split("-")[0]
    if language in TEXT2NUM_LANGUAGES:
        from text_to_num import alpha2digit

        try:
            t = alpha2digit(t, language)
        except (ValueError, KeyError, IndexError):  # pragma: no cover - text2num on odd input
            log.debug("text2num could not read %r", t)
    pattern = _table_pattern(loc.locale)
    if pattern is None:
        return t
    table = number_table(loc.locale)

    def digits(m: re.Match[str]) -> str:
        groups = m.groupdict()
        clitic, word = (groups["clitic"], groups["word"]) if groups.get("word") else ("", m.group(0))
        value = table[word]
        return f" {clitic} {int(value) if value == int(value) else value} "

    t = re.sub(r"\s+", " ", pattern.sub(digits, t)).strip()
    if language == "ar":  # units before tens: "خمسة وأربعين" (five and forty) is 45
        t = re.sub(r"(?<!\d)(\d) و ([2-9]0)(?!\d)", lambda m: str(int(m.group(1)) + int(m.group(2))), t)
    return t


def read_number(text: str, loc: Localizer) -> float | None:
    """The first number in ``text``, written in digits or words."""
    m = re.search(r"-?\d+(?:[.,]\d+)?", with_digits(text, loc))
    return float(m.group(0).replace(",", ".")) if m else None
