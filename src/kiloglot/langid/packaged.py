"""py3langid (langid.py's naive Bayes over byte n-grams, 97 languages, its model inside the wheel) as a
``LanguageIdentifier`` over MASSIVE locales. Locales sharing a language (zh-CN and zh-TW) cannot be told
apart by it: the first candidate of the language is named."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from kiloglot.data.locales import ALL_LOCALES, code_known_to
from kiloglot.errors import InputError, ModelError
from kiloglot.langid.contract import LanguageGuess, LanguageIdentifier, ranked


def language_of(locale: str) -> str:
    """langid.py's code for the locale's language (it names Norwegian Bokmål "no": the catalogue's alternate)."""
    return code_known_to(locale.split("-")[0].lower(), _languages())


@cache
def _languages() -> frozenset[str]:
    return frozenset(_model().nb_classes)


@cache
def _model() -> Any:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError as exc:
        raise ModelError("py3langid is not installed: pip install 'kiloglot[speech]'") from exc
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


class Py3LangidIdentifier(LanguageIdentifier):
    name = "py3langid"

    def __init__(self) -> None:
        _model()  # fails here, with the install hint, when py3langid is missing

    @property
    def locales(self) -> list[str]:
        known = set(_model().labels)
        return [loc for loc in ALL_LOCALES if language_of(loc) in known]

    def identify_batch(self, texts: Sequence[str], locales: Sequence[str] | None = None) -> list[LanguageGuess]:
        model = _model()
        known = set(model.labels)
        candidates = [loc for loc in (locales or self.locales) if language_of(loc) in known]
        if not candidates:
            raise InputError(f"locales {list(locales or [])}: py3langid knows none of them")
        first: dict[str, str] = {}
        for loc in candidates:
            first.setdefault(language_of(loc), loc)
        out = []
        for text in texts:
            scores = dict(model.rank(text))
            probabilities = [scores.get(lang, 0.0) for lang in first]
            total = sum(probabilities) or 1.0
            out.append(ranked(list(first.values()), [p / total for p in probabilities]))
        return out
