"""Text helpers every value reader shares: digits of any script, case and width folded, script-aware word
matching (whole words where words are spaced, substrings where they are not)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache


def latin_digits(text: str) -> str:
    """Any Unicode decimal digit -> ASCII ('٧' -> '7', '७' -> '7', '７' -> '7')."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def normalise(text: str) -> str:
    """NFKC, ASCII digits, lower case, one space between words, typographic apostrophes made plain."""
    text = latin_digits(unicodedata.normalize("NFKC", text)).lower().replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip()


def _script(c: str) -> str:
    name = unicodedata.name(c, "")
    for script in ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "HANGUL"):
        if name.startswith(script):
            return script
    return ""


def spaced(c: str) -> bool:
    """A letter of a script that separates words with spaces (a word boundary may be asked for there)."""
    return c.isalpha() and _script(c) == ""


@cache
def word_pattern(word: str) -> str:
    """A regex for ``word``: scripts written without spaces match inside text ("明日の朝"); Hangul at the
    start of a word (particles follow it: "일곱시에"); everything else as a whole word."""
    scripts = {_script(c) for c in word if c.isalpha()}
    escaped = re.escape(word)
    if scripts & {"CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR"}:
        return escaped
    if "HANGUL" in scripts:
        return rf"(?<![\w]){escaped}"
    return rf"(?<!\w){escaped}(?!\w)"


def has_word(text: str, word: str) -> bool:
    word = word.lower()
    return bool(word) and re.search(word_pattern(word), text) is not None


def find_word(text: str, words: list[str] | tuple[str, ...]) -> re.Match[str] | None:
    """The first, longest match of any of ``words`` in ``text``."""
    best: re.Match[str] | None = None
    for word in words:
        if not word:
            continue
        m = re.search(word_pattern(word.lower()), text)
        if m and (best is None or (m.start(), -len(m.group())) < (best.start(), -len(best.group()))):
            best = m
    return best
