"""Recogniser output in the written style the parser learned from MASSIVE: lower case, numbers as words,
no sentence punctuation. Whisper writes "Wake me up at 7:30 a.m."; MASSIVE writes
"wake me up at seven thirty am" (and "three p. m.", "c. n. n."). Number words come from num2words in the
locale's language."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache

log = logging.getLogger(__name__)

# num2words' language code where it differs from the MASSIVE locale's language
_NUM2WORDS_LANGUAGE = {"nb": "no", "zh": "zh", "pt": "pt", "he": "he", "jv": "id", "ms": "id"}
_PERCENT = {
    "en": "percent", "de": "prozent", "fr": "pour cent", "es": "por ciento", "it": "per cento", "pt": "por cento",
    "nl": "procent", "sv": "procent", "da": "procent", "nb": "prosent", "pl": "procent", "ru": "процентов",
}  # fmt: skip
_AND = {"en": "and", "de": "und", "fr": "et", "es": "y", "it": "e", "pt": "e", "nl": "en"}
_UNSPACED = {"ja", "zh", "th", "km", "lo", "my"}
_SENTENCE_PUNCTUATION = re.compile(r"[,!?;:\"“”„«»¿¡…()\[\]{}。、？！，；：「」『』·・―—–]")
_TIME = re.compile(r"\b(\d{1,2})[:.](\d{2})\b")
_ORDINAL_EN = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_AMPM = re.compile(r"\b([ap])\.\s?m\.?(?=[\s!?,;]|$)", re.IGNORECASE)  # a.m., p. m.
_AMPM_AFTER_DIGIT = re.compile(r"(\d)\s?([ap])m\b\.?", re.IGNORECASE)  # 3pm, 7 AM
_INITIALISM = re.compile(r"\b[A-Z]{2,5}\b")  # CNN, TV: MASSIVE spells them "c. n. n.", "t. v."
_WORDS_IN_CAPITALS = {"OK", "AM", "PM"}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Whisper sometimes writes a clock time without its colon ("set an alarm for 530"): read as one only after a
# word that introduces a time, with minutes 01-59 (or any, before am/pm), so "for 1000 dollars" stays a number
_CLOCK_WITHOUT_COLON_EN = re.compile(
    r"\b(?P<word>at|for|by|until|till)\s(?P<h>1[0-2]|0?[1-9])(?P<m>0[1-9]|[1-5]\d)\b"
    r"|\b(?P<h2>1[0-2]|0?[1-9])(?P<m2>[0-5]\d)(?=\s?[ap]\.?\s?m\b)",
    re.IGNORECASE,
)
_NUMBER_HYPHEN_WORD = re.compile(r"(\d)-(?=[^\W\d_])")  # "10-day": MASSIVE writes "ten day"


@cache
def _speller(language: str) -> object | None:
    try:
        from num2words import num2words

        num2words(7, lang=language)
    except (ImportError, NotImplementedError, KeyError, OverflowError):
        return None
    return num2words


def number_words(value: str, locale: str, *, ordinal: bool = False) -> str:
    """``"7"`` -> ``"seven"`` in the locale's language; the digits unchanged where num2words lacks it."""
    language = locale.split("-")[0].lower()
    language = _NUM2WORDS_LANGUAGE.get(language, language)
    speller = _speller(language)
    if speller is None:
        return value
    try:
        number: float = float(value.replace(",", ".")) if re.search(r"[.,]", value) else int(value)
        words = speller(number, lang=language, to="ordinal" if ordinal else "cardinal")  # type: ignore[operator]
    except (NotImplementedError, ValueError, OverflowError, TypeError):
        return value
    return str(words).replace("-", " ").replace(",", "")


def _time(match: re.Match[str], locale: str) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59:
        return match.group(0)
    words = number_words(str(hour), locale)
    if minute == 0:
        return words
    if minute < 10 and locale.startswith("en"):
        return f"{words} oh {number_words(str(minute), locale)}"
    return f"{words} {number_words(str(minute), locale)}"


def _with_colon(match: re.Match[str]) -> str:
    if match.group("word"):
        return f"{match.group('word')} {match.group('h')}:{match.group('m')}"
    return f"{match.group('h2')}:{match.group('m2')}"


def _spelled(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word in _WORDS_IN_CAPITALS else ". ".join(word) + "."


def to_written_style(text: str, locale: str) -> str:
    """What the parser expects to read: see the module's docstring. Idempotent."""
    language = locale.split("-")[0].lower()
    text = unicodedata.normalize("NFKC", text)
    if language == "en":
        text = _CLOCK_WITHOUT_COLON_EN.sub(_with_colon, text)
    text = _TIME.sub(lambda m: _time(m, locale), text)
    text = _NUMBER_HYPHEN_WORD.sub(r"\1 ", text)
    if language == "en":  # MASSIVE en-US writes "seven am" but "three p. m." (208 and 266 times in train)
        text = _AMPM_AFTER_DIGIT.sub(lambda m: f"{m.group(1)} {m.group(2)}.m.", text)
        text = _AMPM.sub(lambda m: "am" if m.group(1).lower() == "a" else "p. m.", text)
        text = _INITIALISM.sub(_spelled, text)
        text = _ORDINAL_EN.sub(lambda m: number_words(m.group(1), locale, ordinal=True), text)
        text = re.sub(r"\$(\d+)", r"\1 dollars", text)
    if language in _PERCENT:
        text = re.sub(r"(\d)\s?%", rf"\1 {_PERCENT[language]}", text)
    if language in _AND:
        text = text.replace("&", f" {_AND[language]} ")
    if language == "fr":
        text = re.sub(r"\b(\d{1,2})\s?h\s?(\d{2})?\b", lambda m: f"{m.group(1)} heures {m.group(2) or ''}", text)
    pad = "" if language in _UNSPACED else " "
    text = _NUMBER.sub(lambda m: f"{pad}{number_words(m.group(0), locale)}{pad}", text)
    text = _SENTENCE_PUNCTUATION.sub(" ", text)
    text = re.sub(r"(?<!\b\w)\.(?=\s|$)", " ", text)  # a full stop, not the one in "p. m." or "b. b. c."
    return " ".join(text.lower().split())


def style_prompt(texts: Iterable[tuple[str, str]], max_words: int = 48) -> str:
    """A recogniser prompt in the parser's written style, from labelled requests ``(intent, text)``: the most
    typical request of four to eight words of each intent (its words the most frequent in that intent), the
    commonest intents first, joined until ``max_words``. Whisper copies a prompt's style (lower case, numbers
    as words) and leans towards its words."""
    by_intent: dict[str, list[str]] = {}
    for intent, text in texts:
        by_intent.setdefault(intent, []).append(" ".join(text.split()))
    picked, words = [], 0
    for _, said in sorted(by_intent.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        counts = Counter(w for t in said for w in set(t.lower().split()))
        fitting = [t for t in said if 4 <= len(t.split()) <= 8]
        if not fitting:
            continue
        best = max(fitting, key=lambda t: (sum(counts[w] for w in t.lower().split()) / len(t.split()), t))
        n = len(best.split())
        if words + n > max_words:
            break
        picked.append(best)
        words += n
    return ", ".join(picked)
