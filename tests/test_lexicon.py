"""Languages without labels: lexicon-translated training data (Wang et al., 2022) and `kiloglot expand`."""

from __future__ import annotations

import json
import random

import pytest

from kiloglot.data.codec import SlotCodec
from kiloglot.errors import DataError, InputError
from kiloglot.learn.lexicon import (
    ExpandSettings,
    Lexicon,
    Morphology,
    english_lemmas,
    expand,
    lexicon_files,
    translate_example,
    unimorph_file,
)


@pytest.fixture()
def lexicon(tmp_path):
    path = tmp_path / "en-de.tsv"
    path.write_text(
        "# a tiny English -> German lexicon\nwake\twecken\nme\tmich\nat\tum\nseven\tsieben\nhour\tstunde\n"
        "alarm\twecker\nalarm clock\twecker\ntomorrow\tmorgen\nset\tstellen\nset\tsetzen\n&nbsp\tjunk\nbad line\n",
        encoding="utf-8",
    )
    return Lexicon.read([path])


def example(annot: str, locale: str = "en-US"):
    return SlotCodec.decode(annot, locale, id="1", intent="alarm_set", scenario="alarm", partition="train")


def test_words_are_swapped_and_keep_their_labels(lexicon):
    ex = example("wake me up at [time : seven] [date : tomorrow]")
    out = translate_example(ex, "de-DE", lexicon, random.Random(0))
    assert out.text == "wecken mich up um sieben morgen"  # "up" has no entry: it stays
    assert dict(zip(out.words, out.word_labels)) == {"wecken": "Other", "mich": "Other", "up": "Other", "um": "Other",
                                                     "sieben": "time", "morgen": "date"}  # fmt: skip
    assert out.intent == "alarm_set" and out.locale == "de-DE" and out.id == "1~de-DE"
    kept = translate_example(ex, "de-DE", lexicon, random.Random(0), ExpandSettings(keep_slot_values=True))
    assert "seven" in kept.words and "tomorrow" in kept.words


def test_phrases_match_longest_first_inflections_find_their_lemma_and_junk_is_dropped(lexicon):
    assert lexicon.translations(["alarm", "clock", "now"], 0) == (2, ["wecker"])
    assert english_lemmas("hours")[0] == "hour" and lexicon.translations(["hours"], 0) == (1, ["stunde"])
    assert ("&nbsp",) not in lexicon.entries and len(lexicon) == 10
    assert lexicon.coverage([example("wake me up at [time : seven]")]) == pytest.approx(4 / 5)


def test_sampling_is_seeded_and_the_report_names_what_had_no_translation(lexicon):
    source = [example("[alarm_type : set] the alarm"), example("wake me up at [time : seven]")] * 20
    a, report = expand(source, "de-DE", lexicon, ExpandSettings(seed=3))
    b, _ = expand(source, "de-DE", lexicon, ExpandSettings(seed=3))
    c, _ = expand(source, "de-DE", lexicon, ExpandSettings(seed=4))
    assert [e.text for e in a] == [e.text for e in b]
    assert {e.words[0] for e in a[::2]} == {"stellen", "setzen"}  # both translations are drawn
    assert [e.text for e in a] != [e.text for e in c]
    assert report.untranslated.most_common(2) == [("the", 20), ("up", 20)]
    assert report.utterances == 40 and 0.6 < report.coverage < 0.9


def test_character_locales_are_written_without_spaces(tmp_path):
    path = tmp_path / "en-ja.tsv"
    path.write_text("wake\t起こす\nseven\t七時\n", encoding="utf-8")
    out = translate_example(example("wake [time : seven]"), "ja-JP", Lexicon.read([path]), random.Random(0))
    assert out.text.replace(" ", "") == "起こす七時"
    assert [l for w, l in zip(out.words, out.word_labels) if w in "七時"] == ["time", "time"]


def test_unimorph_forms_replace_lemmas_at_the_set_rate(tmp_path, lexicon):
    table = tmp_path / "deu.tsv"
    table.write_text("wecken\tweckt\tV;IND;PRS;3;SG\nwecken\tweckte\tV;IND;PST;3;SG\n", encoding="utf-8")
    morphology = Morphology.read(table)
    out, report = expand([example("wake me")] * 200, "de-DE", lexicon, ExpandSettings(inflect=0.5), morphology)
    firsts = {e.words[0] for e in out}
    assert firsts == {"wecken", "weckt", "weckte"} and 60 < report.inflected < 140
    assert unimorph_file(tmp_path, "deu") == table and unimorph_file(tmp_path, "fra") is None


def test_bad_lexicons_are_refused_by_name(tmp_path):
    empty = tmp_path / "en-xx.tsv"
    empty.write_text("no tabs here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"en-xx\.tsv: no english<TAB>target pairs"):
        Lexicon.read([empty])
    with pytest.raises(DataError, match="no such file"):
        Lexicon.read([tmp_path / "missing.tsv"])
    with pytest.raises(DataError, match="nothing for 'qq'"):
        lexicon_files(tmp_path, "qq")


def test_expand_command_writes_massive_jsonl_that_the_reader_reads_back(tmp_path, massive_path):
    from typer.testing import CliRunner

    from kiloglot.cli.main import app
    from kiloglot.data import read_massive

    lexicons = tmp_path / "lexicons"
    lexicons.mkdir()
    (lexicons / "en-sw.tsv").write_text("alarm\tkengele\nwake\tamsha\nme\tmimi\nseven\tsaba\n", encoding="utf-8")
    out = tmp_path / "sw"
    r = CliRunner().invoke(app, ["expand", "--to", "sw-KE", "--lexicon", str(lexicons), "--data-only",
                                 "--out", str(out), "--data", str(massive_path)])  # fmt: skip
    assert r.exit_code == 0, r.output
    data = read_massive(out / "data" / "sw-KE.jsonl")
    assert len(data) == 11_514 and {e.locale for e in data} == {"sw-KE"}
    assert any("kengele" in e.words for e in data)
    report = json.loads((out / "report.json").read_text())["sw-KE"]
    assert report["utterances"] == 11_514 and report["untranslated_top"][0][0] in ("the", "to", "me", "is")

    args = ["expand", "--to", "sw-KE,am-ET", "--lexicon", str(lexicons), "--data-only", "--per-target", "40",
            "--out", str(tmp_path / "s"), "--data", str(massive_path)]  # fmt: skip
    missing = CliRunner().invoke(app, args)
    assert missing.exit_code != 0 and "en-am.tsv" in missing.output and not (tmp_path / "s").exists()
    (lexicons / "en-am.tsv").write_text("alarm\tማንቂያ\n", encoding="utf-8")
    sample = CliRunner().invoke(app, args)
    assert sample.exit_code == 0, sample.output
    sw, am = (read_massive(tmp_path / "s" / "data" / f"{loc}.jsonl") for loc in ("sw-KE", "am-ET"))
    assert len(sw) == len(am) == 40
    assert {e.id.split("~")[0] for e in sw} != {e.id.split("~")[0] for e in am}  # a different sample per target
    bad = CliRunner().invoke(app, ["expand", "--to", "sw-KE", "--lexicon", str(lexicons), "-o", "no_such=1",
                                   "--out", str(tmp_path / "b"), "--data", str(massive_path)])  # fmt: skip
    assert bad.exit_code != 0 and "no_such" in bad.output and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_a_language_outside_massive_end_to_end(small_corpus, tmp_path):
    """Yoruba (yo), which MASSIVE lacks: lexicon -> pseudo-labelled data -> model -> parse -> serve."""
    from fastapi.testclient import TestClient

    from kiloglot.data import locale_info
    from kiloglot.learn.lexicon import write_jsonl
    from kiloglot.nlu import load, registry
    from kiloglot.server import ServerConfig, create_app

    lexicon_file = tmp_path / "en-yo.tsv"
    lexicon_file.write_text(
        "wake\tjí\nme\tmi\nup\tsókè\nalarm\tagogo\nseven\tméje\ntomorrow\tọ̀la\nmorning\tòwúrọ̀\nplay\tṣe\n"
        "music\torin\nweather\toju ojo\nwhat\tkini\ntime\tàkókò\nset\tṣètò\n",
        encoding="utf-8",
    )
    train, _ = small_corpus
    english = [e for e in train if e.locale == "en-US"][:1500]
    examples, report = expand(english, "yo", Lexicon.read([lexicon_file]), ExpandSettings(seed=1))
    assert locale_info("yo").language == "Yoruba" and locale_info("YO").iso639_3 == "yor"
    assert report.coverage > 0.1 and all(e.locale == "yo" for e in examples)
    write_jsonl(examples, tmp_path / "data" / "yo.jsonl")
    model = tmp_path / "model-yo"
    registry.create("linear", jobs=1, crf_iterations=20).fit(examples).save(model)
    parser = load(model)
    assert parser.locales == ["yo"]
    parse = parser.parse(["jí mi sókè ní méje òwúrọ̀ ọ̀la"], "yo")[0]
    assert parse.intent == "alarm_set"
    assert {s.name for s in parse.slots} & {"time", "date", "timeofday"}
    app = create_app(parser, ServerConfig(database=f"sqlite:///{tmp_path / 'yo.db'}"))
    with TestClient(app) as client:
        r = client.post("/v1/parse", json={"texts": ["ṣe orin"], "locale": "YO"})
        assert r.status_code == 200 and r.json()["parses"][0]["intent"].startswith("play_")
        turn = client.post("/v1/converse", json={"text": "jí mi sókè ní méje", "locale": "yo"}).json()
        assert turn["locale"] == "yo" and turn["reply_locale"] == "en-US"  # no Yoruba templates: English


def test_a_sample_per_target_is_seeded_differs_by_target_and_zero_takes_all(small_corpus):
    from kiloglot.learn.lexicon import sample_for_target

    source = [e for e in small_corpus[0] if e.locale == "en-US"][:200]
    sw = sample_for_target(source, "sw-KE", 40)
    assert len(sw) == 40 and [e.id for e in sw] == [e.id for e in sample_for_target(source, "sw-KE", 40)]
    assert {e.id for e in sw} != {e.id for e in sample_for_target(source, "am-ET", 40)}
    assert {e.id for e in sw} != {e.id for e in sample_for_target(source, "sw-KE", 40, seed=1)}
    assert sample_for_target(source, "sw-KE", 0) == source == sample_for_target(source, "sw-KE", 500)
    with pytest.raises(InputError, match="-1 source examples per target"):
        sample_for_target(source, "sw-KE", -1)
