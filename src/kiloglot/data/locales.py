"""The locale catalogue: the 52 MASSIVE 1.1 locales (language, ISO 639 codes, script, family and genus),
and any other language by its ISO 639 code (``sw``, ``yo``, ``quz``), for parsers built without labels.

Language names, scripts (ISO 15924), families and genera of the MASSIVE locales follow the MASSIVE paper's
language table (FitzGerald et al., 2022; genera after WALS). ca-ES arrived with MASSIVE 1.1. A language
beyond MASSIVE takes its name and codes from ISO 639-3 (pycountry); its script is found from text in it
(``script_of``, e.g. a lexicon's words) when registered with some, else unknown (``Zyyy``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from kiloglot.errors import InputError


@dataclass(frozen=True, slots=True)
class LocaleInfo:
    locale: str
    language: str
    iso639_1: str
    iso639_3: str
    script: str
    family: str
    genus: str


_ROWS = """
af-ZA|Afrikaans|af|afr|Latn|Indo-European|Germanic
am-ET|Amharic|am|amh|Ethi|Afro-Asiatic|Semitic
ar-SA|Arabic|ar|ara|Arab|Afro-Asiatic|Semitic
az-AZ|Azerbaijani|az|aze|Latn|Turkic|Turkic
bn-BD|Bengali|bn|ben|Beng|Indo-European|Indic
ca-ES|Catalan|ca|cat|Latn|Indo-European|Romance
cy-GB|Welsh|cy|cym|Latn|Indo-European|Celtic
da-DK|Danish|da|dan|Latn|Indo-European|Germanic
de-DE|German|de|deu|Latn|Indo-European|Germanic
el-GR|Greek|el|ell|Grek|Indo-European|Greek
en-US|English|en|eng|Latn|Indo-European|Germanic
es-ES|Spanish|es|spa|Latn|Indo-European|Romance
fa-IR|Persian|fa|fas|Arab|Indo-European|Iranian
fi-FI|Finnish|fi|fin|Latn|Uralic|Finnic
fr-FR|French|fr|fra|Latn|Indo-European|Romance
he-IL|Hebrew|he|heb|Hebr|Afro-Asiatic|Semitic
hi-IN|Hindi|hi|hin|Deva|Indo-European|Indic
hu-HU|Hungarian|hu|hun|Latn|Uralic|Ugric
hy-AM|Armenian|hy|hye|Armn|Indo-European|Armenian
id-ID|Indonesian|id|ind|Latn|Austronesian|Malayo-Sumbawan
is-IS|Icelandic|is|isl|Latn|Indo-European|Germanic
it-IT|Italian|it|ita|Latn|Indo-European|Romance
ja-JP|Japanese|ja|jpn|Jpan|Japanese|Japanese
jv-ID|Javanese|jv|jav|Latn|Austronesian|Javanese
ka-GE|Georgian|ka|kat|Geor|Kartvelian|Kartvelian
km-KH|Khmer|km|khm|Khmr|Austro-Asiatic|Khmer
kn-IN|Kannada|kn|kan|Knda|Dravidian|Southern Dravidian
ko-KR|Korean|ko|kor|Kore|Korean|Korean
lv-LV|Latvian|lv|lav|Latn|Indo-European|Baltic
ml-IN|Malayalam|ml|mal|Mlym|Dravidian|Southern Dravidian
mn-MN|Mongolian|mn|mon|Cyrl|Mongolic|Mongolic
ms-MY|Malay|ms|msa|Latn|Austronesian|Malayo-Sumbawan
my-MM|Burmese|my|mya|Mymr|Sino-Tibetan|Burmese-Lolo
nb-NO|Norwegian Bokmål|nb|nob|Latn|Indo-European|Germanic
nl-NL|Dutch|nl|nld|Latn|Indo-European|Germanic
pl-PL|Polish|pl|pol|Latn|Indo-European|Slavic
pt-PT|Portuguese|pt|por|Latn|Indo-European|Romance
ro-RO|Romanian|ro|ron|Latn|Indo-European|Romance
ru-RU|Russian|ru|rus|Cyrl|Indo-European|Slavic
sl-SL|Slovenian|sl|slv|Latn|Indo-European|Slavic
sq-AL|Albanian|sq|sqi|Latn|Indo-European|Albanian
sv-SE|Swedish|sv|swe|Latn|Indo-European|Germanic
sw-KE|Swahili|sw|swa|Latn|Niger-Congo|Bantoid
ta-IN|Tamil|ta|tam|Taml|Dravidian|Southern Dravidian
te-IN|Telugu|te|tel|Telu|Dravidian|South-Central Dravidian
th-TH|Thai|th|tha|Thai|Tai-Kadai|Kam-Tai
tl-PH|Tagalog|tl|tgl|Latn|Austronesian|Greater Central Philippine
tr-TR|Turkish|tr|tur|Latn|Turkic|Turkic
ur-PK|Urdu|ur|urd|Arab|Indo-European|Indic
vi-VN|Vietnamese|vi|vie|Latn|Austro-Asiatic|Viet-Muong
zh-CN|Mandarin Chinese (Simplified)|zh|cmn|Hans|Sino-Tibetan|Chinese
zh-TW|Mandarin Chinese (Traditional)|zh|cmn|Hant|Sino-Tibetan|Chinese
"""

LOCALES: dict[str, LocaleInfo] = {row.split("|")[0]: LocaleInfo(*row.split("|")) for row in _ROWS.strip().splitlines()}
ALL_LOCALES: tuple[str, ...] = tuple(sorted(LOCALES))

# A small default set that spans scripts and families: Latin/Germanic, Cyrillic/Slavic,
# Arabic/Semitic, Devanagari/Indic, CJK characters, Thai (no spaces between words), Bantu.
DEFAULT_LOCALES: tuple[str, ...] = ("en-US", "ru-RU", "ar-SA", "hi-IN", "ja-JP", "th-TH", "sw-KE")


_BY_FOLDED = {code.casefold(): code for code in LOCALES}


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_OTHER: dict[str, LocaleInfo] = {}  # languages beyond MASSIVE met so far (by their code)


# Other codes a language goes by in the tools and resources kiloglot reads (Whisper, langid.py, Wiktionary
# lexicons, UniMorph): Norwegian Bokmål is "no" to most of them, Javanese "jw" to Whisper, and UniMorph files some
# macrolanguages under an individual language's ISO 639-3 code.
ALTERNATE_CODES: dict[str, tuple[str, ...]] = {
    "nb": ("no",),
    "no": ("nb",),
    "jv": ("jw",),
    "swa": ("swc", "swh"),
    "msa": ("zsm", "ind"),
    "cmn": ("zho",),
    "fas": ("pes",),
}


def language_codes(code: str) -> tuple[str, ...]:
    """``code`` and the other codes its language goes by (``ALTERNATE_CODES``), in that order."""
    return (code, *ALTERNATE_CODES.get(code, ()))


def code_known_to(code: str, known: Collection[str]) -> str:
    """The first of ``language_codes(code)`` that a tool knows (``known``: its codes), else ``code``."""
    return next((c for c in language_codes(code) if c in known), code)


def normalize_locale(locale: str) -> str:
    """``en-us``, ``EN_US`` -> ``en-US``: the MASSIVE code, whatever the case or separator; a bare language
    code lower-cased (``YO`` -> ``yo``); anything else is returned as it is (for an error that names it)."""
    folded = locale.strip().replace("_", "-").casefold()
    if folded in _BY_FOLDED:
        return _BY_FOLDED[folded]
    return folded if _LANGUAGE_CODE.match(folded) else locale


def language_info(code: str, sample: str | None = None) -> LocaleInfo | None:
    """A language beyond MASSIVE by its ISO 639-1 or 639-3 code; None when ISO 639 has no such code. With
    ``sample`` text, its script is found from the text's letters and remembered."""
    code = code.strip().casefold()
    if not _LANGUAGE_CODE.match(code):
        return None
    known = _OTHER.get(code)
    if known is not None and (sample is None or known.script != "Zyyy"):
        return known
    try:
        import pycountry
    except ImportError:  # pragma: no cover - a dependency
        return None
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    if found is None:
        return None
    name = str(found.name).removesuffix(" (macrolanguage)")
    script = script_of(sample) if sample else "Zyyy"
    info = LocaleInfo(code, name, getattr(found, "alpha_2", ""), found.alpha_3, script, "", "")
    _OTHER[code] = info
    return info


def known_locale(locale: str) -> bool:
    """A MASSIVE locale, or a language ISO 639 knows, as codes are written (``en-US``, ``yo``; not ``AE``)."""
    return locale in LOCALES or (normalize_locale(locale) == locale and language_info(locale) is not None)


def locale_info(locale: str) -> LocaleInfo:
    code = normalize_locale(locale)
    if code in LOCALES:
        return LOCALES[code]
    other = language_info(code)
    if other is not None:
        return other
    raise InputError(
        f"unknown locale {locale!r}: expected one of the 52 MASSIVE locales such as en-US, de-DE, ja-JP, "
        "or an ISO 639 language code such as yo or quz"
    )


# The first word of a letter's Unicode name -> its ISO 15924 script
_SCRIPTS = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "ETHIOPIC": "Ethi", "DEVANAGARI": "Deva",
    "BENGALI": "Beng", "GREEK": "Grek", "HEBREW": "Hebr", "THAI": "Thai", "HANGUL": "Hang", "CJK": "Hani",
    "HIRAGANA": "Jpan", "KATAKANA": "Jpan", "GEORGIAN": "Geor", "ARMENIAN": "Armn", "TAMIL": "Taml",
    "TELUGU": "Telu", "KANNADA": "Knda", "MALAYALAM": "Mlym", "KHMER": "Khmr", "MYANMAR": "Mymr",
    "TIBETAN": "Tibt", "SINHALA": "Sinh", "GUJARATI": "Gujr", "GURMUKHI": "Guru", "ORIYA": "Orya",
    "LAO": "Laoo", "MONGOLIAN": "Mong", "CHEROKEE": "Cher", "TIFINAGH": "Tfng", "CANADIAN": "Cans",
    "THAANA": "Thaa", "SYRIAC": "Syrc", "NKO": "Nkoo", "VAI": "Vaii", "JAVANESE": "Java", "BALINESE": "Bali",
}  # fmt: skip


def script_of(text: str) -> str:
    """The ISO 15924 script most of ``text``'s letters are written in (``Zyyy`` when none is known)."""
    counts: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha():
            counts[_SCRIPTS.get(unicodedata.name(ch, "?").split(" ")[0], "Zyyy")] += 1
    return counts.most_common(1)[0][0] if counts else "Zyyy"


def parse_locales(
    spec: str | list[str] | tuple[str, ...] | None, default: tuple[str, ...] = DEFAULT_LOCALES
) -> list[str]:
    """Turn ``"all"``, ``"en-US,de-DE"`` or a list into validated locale codes (order kept, no repeats)."""
    if spec is None:
        return list(default)
    items = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    items = [s.strip() for s in items if s.strip()]
    if not items:
        raise InputError("no locales given: expected 'all' or a comma-separated list such as en-US,de-DE")
    if items == ["all"]:
        return list(ALL_LOCALES)
    if items == ["default"]:
        return list(default)
    seen: list[str] = []
    for item in items:
        code = locale_info(item).locale
        if code not in seen:
            seen.append(code)
    return seen
