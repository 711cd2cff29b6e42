from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from kiloglot.errors import InputError, ModelError
from kiloglot.evaluation import build_report
from kiloglot.nlu import load, read_manifest, registry


def test_dev_accuracy_above_floor_on_a_small_slice(trained_model, small_corpus):
    """Trained on a quarter of train for en-US, ja-JP, sw-KE: dev must be well above chance."""
    _, dev = small_corpus
    parser = load(trained_model)
    report = build_report(dev, parser.parse_examples(dev))
    for locale, s in report.per_locale.items():
        assert s.intent_accuracy > 0.70, (locale, s)
        assert s.slot_micro_f1 > 0.50, (locale, s)
        assert s.exact_match > 0.40, (locale, s)


def test_manifest_describes_the_artifact(trained_model, small_corpus):
    m = read_manifest(trained_model)
    assert m["kind"] == "linear" and m["locales"] == ["en-US", "ja-JP", "sw-KE"]
    train, _ = small_corpus
    assert m["training_data"].startswith("sha256:")
    assert m["intents"] == sorted({e.intent for e in train}) and len(m["intents"]) >= 55
    assert "alarm_set" in m["intents"] and "time" in m["slots"] and "Other" in m["slots"]
    # Weights are plain .npy / json / crfsuite files, never pickles.
    files = {p.suffix for p in Path(trained_model).rglob("*") if p.is_file()}
    assert files <= {".json", ".npy", ".crfsuite"}
    np.load(Path(trained_model) / "locales" / "en-US" / "intent_weights.npy", allow_pickle=False)


def test_parse_gives_slots_with_offsets_into_the_text(trained_model):
    parser = load(trained_model)
    texts = ["wake me up at seven am tomorrow", "明日の午前七時に起こして"]
    en = parser.parse([texts[0]], "en-US")[0]
    assert en.intent == "alarm_set" and 0 < en.confidence <= 1
    assert len(en.alternatives) == 3 and en.alternatives[0][0] == en.intent
    assert sum(p for _, p in en.alternatives) <= 1.0 + 1e-6
    assert {s.name for s in en.slots} >= {"time"}
    ja = parser.parse([texts[1]], "ja-JP")[0]
    for p, text in ((en, texts[0]), (ja, texts[1])):
        for s in p.slots:
            assert text[s.start:s.end] == s.value


def test_batch_equals_one_by_one_and_reload_is_identical(trained_model, small_corpus, tmp_path):
    _, dev = small_corpus
    texts = [e.text for e in dev if e.locale == "sw-KE"][:50]
    parser = load(trained_model)
    batch = parser.parse(texts, "sw-KE")
    single = [parser.parse([t], "sw-KE")[0] for t in texts]
    assert [p.to_dict() for p in batch] == [p.to_dict() for p in single]
    copy = tmp_path / "copy"
    parser.save(copy)
    again = load(copy).parse(texts, "sw-KE")
    assert [p.to_dict() for p in again] == [p.to_dict() for p in batch]


def test_requests_outside_the_contract_are_clear_errors(trained_model):
    parser = load(trained_model)
    with pytest.raises(InputError, match="not trained on locale 'de-DE'"):
        parser.parse(["hallo"], "de-DE")
    with pytest.raises(InputError, match="text #2 is empty"):
        parser.parse(["hello", "   "], "en-US")
    with pytest.raises(InputError, match="text #1 is not valid UTF-8"):
        parser.parse([b"caf\xe9".decode("utf-8", "surrogateescape")], "en-US")
    with pytest.raises(InputError, match="list of texts"):
        parser.parse("hello", "en-US")  # type: ignore[arg-type]


def test_corrupt_or_incomplete_model_directories(trained_model, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(trained_model, broken)
    (broken / "locales" / "ja-JP" / "slots.crfsuite").unlink()
    with pytest.raises(ModelError, match="incomplete: missing slots.crfsuite"):
        load(broken)
    bad = tmp_path / "bad"
    shutil.copytree(trained_model, bad)
    np.save(bad / "locales" / "en-US" / "intent_idf.npy", np.zeros(3, dtype=np.float32))
    with pytest.raises(ModelError, match="corrupt"):
        load(bad).parse(["hello"], "en-US")
    future = tmp_path / "future"
    shutil.copytree(trained_model, future)
    m = json.loads((future / "manifest.json").read_text())
    m["format_version"] = 99
    (future / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ModelError, match="format 99"):
        load(future)
    with pytest.raises(ModelError, match="no manifest.json"):
        load(tmp_path)


def test_save_is_atomic_and_never_clobbers_foreign_directories(small_corpus, tmp_path):
    train, _ = small_corpus
    parser = registry.create("linear", jobs=1, crf_iterations=5).fit([e for e in train if e.locale == "en-US"][:300])
    target = tmp_path / "model"
    parser.save(target)
    first = read_manifest(target)["created"]
    parser.save(target)  # replacing an existing model works
    assert read_manifest(target)["locales"] == ["en-US"] and first
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"x")
    with pytest.raises(ModelError, match="not a kiloglot model"):
        parser.save(foreign)
    assert (foreign / "cat.jpg").read_bytes() == b"x"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left behind
    # The model gets the permissions of a normal mkdir/open under the umask, not those of a private
    # temporary folder, so another user (a server's account) can read it.
    old = os.umask(0o022)
    try:
        parser.save(target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    modes = {(p.is_dir(), stat.S_IMODE(p.stat().st_mode)) for p in target.rglob("*")}
    assert modes <= {(False, 0o644), (True, 0o755)} and (False, 0o644) in modes, modes


def test_unknown_kind_and_option():
    with pytest.raises(InputError, match="unknown parser kind"):
        registry.create("quantum")
    with pytest.raises(InputError, match="unknown option"):
        registry.create("linear", crf_iterationz=3)
