import pytest

from kiloglot.data import ALL_LOCALES, LOCALES, locale_info, parse_locales
from kiloglot.errors import InputError


def test_catalogue_has_the_52_massive_locales_with_typology():
    assert len(ALL_LOCALES) == 52 and "ca-ES" in LOCALES
    ja = locale_info("ja-JP")
    assert (ja.language, ja.iso639_3, ja.script, ja.family) == ("Japanese", "jpn", "Jpan", "Japanese")
    assert locale_info("sw-KE").family == "Niger-Congo"
    assert locale_info("ar-SA").genus == "Semitic"
    assert len({i.script for i in LOCALES.values()}) >= 20
    assert all(i.locale.startswith(i.iso639_1) for i in LOCALES.values())


def test_parse_locales():
    assert parse_locales("all") == list(ALL_LOCALES)
    assert parse_locales("en-US, de-DE,en-US") == ["en-US", "de-DE"]
    with pytest.raises(InputError, match="unknown locale 'en-GB'"):
        parse_locales("en-US,en-GB")
    with pytest.raises(InputError, match="no locales"):
        parse_locales(" , ")
