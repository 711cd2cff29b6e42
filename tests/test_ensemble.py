"""The ensemble parser: intent votes, slots from one member given the voted intent, a self-contained artifact."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from kiloglot.cli.main import app
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu import load, registry
from kiloglot.nlu.ensemble import EnsembleParser


@pytest.fixture(scope="module")
def second_model(small_corpus, tmp_path_factory):
    """Another linear model: en-US only, half of the training utterances, other options."""
    train, dev = small_corpus
    other = [e for e in train if e.locale == "en-US"][::2]
    parser = registry.create("linear", jobs=1, crf_iterations=15, intent_c=0.1, intent_conditioned_slots=False).fit(
        other, [e for e in dev if e.locale == "en-US"]
    )
    path = tmp_path_factory.mktemp("models") / "linear_b"
    parser.save(path)
    return path


@pytest.fixture(scope="module")
def en_dev(small_corpus):
    return [e.text for e in small_corpus[1] if e.locale == "en-US"][:300]


def test_weights_one_and_zero_give_the_first_member_exactly(trained_model, second_model, en_dev):
    a = load(trained_model)
    ens = EnsembleParser.from_paths([trained_model, second_model], weights=[1, 0])
    assert ens.locales == ["en-US"] and ens.weights == [1.0, 0.0]
    for p, q in zip(ens.parse(en_dev, "en-US"), a.parse(en_dev, "en-US")):
        assert (p.intent, p.slots, p.word_labels) == (q.intent, q.slots, q.word_labels)
        assert p.confidence == pytest.approx(q.confidence)
        assert [i for i, _ in p.alternatives] == [i for i, _ in q.alternatives]


def test_the_vote_mixes_probabilities_and_the_slot_member_follows_the_voted_intent(trained_model, second_model, en_dev):
    a, b = load(trained_model), load(second_model)
    ens = EnsembleParser.from_paths([trained_model, second_model], weights=[1, 3])
    got = ens.parse(en_dev, "en-US")
    pa, pb = a.parse(en_dev, "en-US"), b.parse(en_dev, "en-US")
    for p, x, y in zip(got, pa, pb):
        votes: dict[str, float] = {}
        for w, q in ((0.25, x), (0.75, y)):
            for intent, prob in q.alternatives:
                votes[intent] = votes.get(intent, 0.0) + w * prob
        best = min(votes, key=lambda k: (-votes[k], k))
        assert p.intent == best and p.confidence == pytest.approx(votes[best])
        assert [s for _, s in p.alternatives] == sorted((s for _, s in p.alternatives), reverse=True)
    changed = [n for n, (p, x) in enumerate(zip(got, pa)) if p.intent != x.intent]
    assert changed, "the second member never outvoted the first: the test data does not exercise re-labelling"
    again = a.parse_given_intents([en_dev[n] for n in changed], "en-US", [got[n].intent for n in changed])
    assert [got[n].word_labels for n in changed] == [q.word_labels for q in again]
    # the first member's CRF reads the intent: relabelling with another intent changes some slots
    assert any(got[n].word_labels != pa[n].word_labels for n in changed)
    kept = [n for n in range(len(got)) if n not in set(changed)]
    assert all(got[n].word_labels == pa[n].word_labels for n in kept)


def test_parse_given_intents_with_the_own_intent_is_plain_parse(trained_model, en_dev):
    a = load(trained_model)
    own = a.parse(en_dev[:50], "en-US")
    given = a.parse_given_intents(en_dev[:50], "en-US", [p.intent for p in own])
    assert [(p.intent, p.word_labels, p.confidence) for p in given] == [
        (p.intent, p.word_labels, p.confidence) for p in own
    ]
    with pytest.raises(InputError, match="one intent per text"):
        a.parse_given_intents(en_dev[:2], "en-US", ["alarm_set"])


def test_saved_ensemble_is_self_contained_and_parses_the_same(trained_model, second_model, en_dev, tmp_path):
    src_b = tmp_path / "b"
    shutil.copytree(second_model, src_b)
    ens = EnsembleParser.from_paths([trained_model, src_b], weights=[0.4, 0.6])
    before = ens.parse(en_dev, "en-US")
    out = ens.save(tmp_path / "ens")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "ensemble" and manifest["member_kinds"] == ["linear", "linear"]
    assert manifest["options"]["weights"] == pytest.approx([0.4, 0.6]) and manifest["locales"] == ["en-US"]
    shutil.rmtree(src_b)  # the ensemble holds its own copy (hard links or files)
    again = load(out)
    assert isinstance(again, EnsembleParser)
    assert [(p.intent, p.word_labels) for p in again.parse(en_dev, "en-US")] == [
        (p.intent, p.word_labels) for p in before
    ]
    again.save(tmp_path / "ens2")  # re-saving a loaded ensemble copies its members again
    assert load(tmp_path / "ens2").weights == pytest.approx([0.4, 0.6])


def test_bad_ensembles_are_refused_with_clear_errors(trained_model, second_model, tmp_path):
    a, b = load(trained_model), load(second_model)
    with pytest.raises(InputError, match="at least 2"):
        EnsembleParser([a])
    with pytest.raises(InputError, match="one weight per member"):
        EnsembleParser([a, b], weights=[1.0])
    with pytest.raises(InputError, match="non-negative"):
        EnsembleParser([a, b], weights=[1.0, -1.0])
    with pytest.raises(InputError, match="non-negative"):
        EnsembleParser([a, b], weights=[0.0, 0.0])
    with pytest.raises(InputError, match="finite"):
        EnsembleParser([a, b], weights=[float("inf"), 1.0])
    with pytest.raises(InputError, match="slot member 2"):
        EnsembleParser([a, b], slot_member=2)
    with pytest.raises(InputError, match="sw-KE"):  # the second member knows en-US only
        EnsembleParser([a, b]).parse(["habari"], "sw-KE")
    with pytest.raises(InputError, match="trained members"):
        registry.create("ensemble")
    out = EnsembleParser.from_paths([trained_model, second_model]).save(tmp_path / "e")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["members"] = ["../elsewhere", "members/1"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="outside the ensemble folder"):
        load(out)


def test_cli_builds_an_ensemble_and_refuses_bad_weights(trained_model, second_model, tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        app, ["ensemble", str(trained_model), str(second_model), "--out", str(tmp_path / "e"), "--weights", "1,3"]
    )
    assert r.exit_code == 0, r.output
    assert load(tmp_path / "e").weights == pytest.approx([0.25, 0.75])
    r = runner.invoke(app, ["parse", str(tmp_path / "e"), "wake me up at seven", "--locale", "en-US"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["intent"]
    r = runner.invoke(
        app, ["ensemble", str(trained_model), str(second_model), "--out", str(tmp_path / "f"), "--weights", "half,half"]
    )
    assert r.exit_code == 1 and "expected comma-separated numbers" in r.output
    assert not (tmp_path / "f").exists()


@pytest.mark.slow
def test_fit_trains_every_member_and_save_writes_them(small_corpus, tmp_path):
    train, dev = small_corpus
    train = [e for e in train if e.locale == "sw-KE"][:600]
    dev = [e for e in dev if e.locale == "sw-KE"][:200]
    members = [
        registry.create("linear", jobs=1, crf_iterations=5),
        registry.create("linear", jobs=1, crf_iterations=5, intent_c=0.05),
    ]
    ens = EnsembleParser(members).fit(train, dev)
    assert ens.locales == ["sw-KE"] and all(m.locales == ["sw-KE"] for m in members)
    before = ens.parse([e.text for e in dev], "sw-KE")
    out = ens.save(tmp_path / "e")
    assert sorted(p.name for p in (out / "members").iterdir()) == ["0", "1"]
    assert [p.intent for p in load(out).parse([e.text for e in dev], "sw-KE")] == [p.intent for p in before]


def test_an_ensemble_member_relabels_slots_through_its_own_slot_member(trained_model, second_model, en_dev):
    a, b = load(trained_model), load(second_model)
    inner = EnsembleParser([a, b], weights=[1, 0])
    outer = EnsembleParser([inner, b], weights=[0, 1])
    got = outer.parse(en_dev, "en-US")
    assert [p.intent for p in got] == [p.intent for p in b.parse(en_dev, "en-US")]
    assert [p.word_labels for p in got] == [
        p.word_labels for p in a.parse_given_intents(en_dev, "en-US", [p.intent for p in got])
    ]
    with pytest.raises(InputError, match="one intent per text"):
        inner.parse_given_intents(en_dev[:2], "en-US", ["alarm_set"])
