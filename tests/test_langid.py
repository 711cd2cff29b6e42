"""Language identification: the n-gram identifier trained on MASSIVE text, py3langid as shipped, the
`kiloglot langid` command, and the assistant's sticky locale for turns that come without one."""

from __future__ import annotations

import json

import pytest
from assistant_helpers import NOW, ScriptedParser

from kiloglot.assistant import Assistant, Store
from kiloglot.errors import InputError
from kiloglot.langid import NgramIdentifier, Py3LangidIdentifier, load_identifier


@pytest.fixture(scope="module")
def identifier(small_corpus):
    train, _ = small_corpus
    return NgramIdentifier.fit([e.text for e in train], [e.locale for e in train])


def test_ngram_identifier_names_dev_utterances_and_survives_a_save(identifier, small_corpus, tmp_path):
    _, dev = small_corpus
    guesses = identifier.identify_batch([e.text for e in dev])
    accuracy = sum(g.locale == e.locale for g, e in zip(guesses, dev)) / len(dev)
    assert accuracy > 0.98, accuracy
    identifier.save(tmp_path / "langid")
    again = load_identifier(tmp_path, "ngram")
    assert [g.locale for g in again.identify_batch([e.text for e in dev[:200]])] == [g.locale for g in guesses[:200]]
    guess = again.identify("wake me up at seven tomorrow")
    assert guess.locale == "en-US" and guess.confidence > 0.5
    assert [loc for loc, _ in guess.alternatives] == sorted(
        [loc for loc, _ in guess.alternatives], key=lambda loc: -dict(guess.alternatives)[loc]
    )
    assert sum(p for _, p in guess.alternatives) + guess.confidence == pytest.approx(1.0, abs=1e-4)


def test_candidates_restrict_the_answer(identifier):
    assert identifier.identify("明日の朝七時に起こして", ["en-US", "sw-KE"]).locale in ("en-US", "sw-KE")
    with pytest.raises(InputError, match="knows none of them"):
        identifier.identify("hello", ["de-DE"])
    with pytest.raises(InputError, match="at least 2 locales"):
        NgramIdentifier.fit(["a", "b"], ["en-US", "en-US"])


def test_py3langid_tells_close_languages_apart_over_massive_locales():
    lid = Py3LangidIdentifier()
    assert "nb-NO" in lid.locales  # langid.py calls Bokmål "no"
    assert lid.identify("Guten Morgen, wie wird das Wetter heute in Berlin?").locale == "de-DE"
    assert lid.identify("vekk meg klokka sju i morgen tidlig", ["nb-NO", "da-DK", "sv-SE"]).locale == "nb-NO"
    with pytest.raises(InputError, match="ngram"):
        load_identifier(None, "cld9")


def test_a_session_keeps_its_locale_unless_the_evidence_is_strong(identifier, tmp_path):
    parser = ScriptedParser(["en-US", "sw-KE"])
    parser.say("what time is it", "datetime_query", 0.97)
    parser.say("ok", "general_quirky", 0.9)
    parser.say("niamshe saa mbili asubuhi kesho tafadhali", "alarm_set", 0.95)
    assistant = Assistant(parser, Store(f"sqlite:///{tmp_path / 'a.db'}"), clock=lambda: NOW, identifier=identifier)
    first = assistant.converse("s1", "what time is it")  # new session, no locale: identified
    assert first.locale == "en-US"
    assert assistant.converse("s1", "ok").locale == "en-US"  # short and unsure: the session's locale holds
    swahili = assistant.converse("s1", "niamshe saa mbili asubuhi kesho tafadhali")
    assert swahili.locale == "sw-KE"  # long and sure: the session follows the user
    assert assistant.converse("s2", "ok", fallback_locale="sw-KE").locale in ("sw-KE", "en-US")


def test_langid_command_names_texts_and_lines_up_a_file(trained_model, tmp_path):
    from typer.testing import CliRunner

    from kiloglot.cli.main import app

    runner = CliRunner()
    one = runner.invoke(app, ["langid", "wake me up at seven", "--model", str(trained_model)])
    assert one.exit_code == 0, one.output
    guess = json.loads(one.stdout)
    assert guess["locale"] == "en-US" and {a["locale"] for a in guess["alternatives"]} <= {"ja-JP", "sw-KE"}
    lines = tmp_path / "texts.txt"
    lines.write_text("\ufeffwake me up at seven\n\n明日の天気は\nniamshe saa kumi\n", encoding="utf-8")
    many = runner.invoke(app, ["langid", "--input", str(lines), "--model", str(trained_model)])
    assert many.exit_code == 0, many.output
    records = [json.loads(line) for line in many.stdout.splitlines()]
    assert [r.get("locale") for r in records] == ["en-US", None, "ja-JP", "sw-KE"]
    assert records[1]["error"] == "blank line"
    bad = runner.invoke(app, ["langid"])
    assert bad.exit_code != 0 and "give either a TEXT" in bad.output
