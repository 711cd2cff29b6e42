"""Which language a text is in, over the locales a model knows: ``identify(text, locales)``.

Two identifiers: ``ngram`` (hashed character n-grams + logistic regression, trained on MASSIVE train text
by ``kiloglot train`` and saved in the model's folder) and ``py3langid`` (langid.py's packaged model,
for when no trained one is at hand). ``load_identifier(model_dir)`` picks the model's own when present.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiloglot.errors import InputError
from kiloglot.langid.contract import LanguageGuess, LanguageIdentifier
from kiloglot.langid.ngram import NgramIdentifier, NgramSettings
from kiloglot.langid.packaged import Py3LangidIdentifier

log = logging.getLogger(__name__)

IDENTIFIERS = ("ngram", "py3langid")


def load_identifier(model: str | Path | None = None, name: str | None = None) -> LanguageIdentifier:
    """The model's trained n-gram identifier (``<model>/langid``) when it has one, else py3langid."""
    from kiloglot.langid import ngram

    if name not in (None, *IDENTIFIERS):
        raise InputError(f"language identifier {name!r}: expected one of {', '.join(IDENTIFIERS)}")
    folder = Path(model) / "langid" if model is not None else None
    if name in (None, "ngram") and folder is not None and ngram.exists(folder):
        return NgramIdentifier.load(folder)
    if name == "ngram":
        where = f"{folder}" if folder else "(no --model given)"
        raise InputError(f"no trained n-gram language identifier at {where}; train one with kiloglot train")
    return Py3LangidIdentifier()


__all__ = [
    "IDENTIFIERS",
    "LanguageGuess",
    "LanguageIdentifier",
    "NgramIdentifier",
    "NgramSettings",
    "Py3LangidIdentifier",
    "load_identifier",
]
