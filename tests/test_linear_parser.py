from __future__ import annotations

import gzip
import json
import lzma
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from artifact_helpers import as_format_1

from kiloglot.errors import InputError, ModelError
from kiloglot.evaluation import build_report
from kiloglot.nlu import load, read_manifest, registry
from kiloglot.nlu.linear.features import intent_features
from kiloglot.nlu.linear.intent import IntentModel, SparseWeights


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
    # Weights are numpy archives, (gzipped) json and crfsuite files, never pickles.
    files = {"".join(p.suffixes) for p in Path(trained_model).rglob("*") if p.is_file()}
    assert files == {".json", ".json.xz", ".npz", ".crfsuite.gz"}
    with np.load(Path(trained_model) / "locales" / "en-US" / "intent.npz", allow_pickle=False) as z:
        assert z["weights"].shape == (len(z["idf"]), len(m["intents"]))  # dense unless pruned


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
            assert text[s.start : s.end] == s.value


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
    (broken / "locales" / "ja-JP" / "slots.crfsuite.gz").unlink()
    with pytest.raises(ModelError, match=r"incomplete: missing slots\.crfsuite\.gz"):
        load(broken)
    bad = tmp_path / "bad"
    shutil.copytree(trained_model, bad)
    intent = bad / "locales" / "en-US" / "intent.npz"
    with np.load(intent) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez_compressed(intent, **{**arrays, "idf": np.zeros(3, dtype=np.float32)})
    with pytest.raises(ModelError, match="corrupt"):
        load(bad).parse(["hello"], "en-US")
    (bad / "locales" / "ja-JP" / "slots.crfsuite.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ModelError, match="corrupt"):
        load(bad).parse(["こんにちは"], "ja-JP")
    future = tmp_path / "future"
    shutil.copytree(trained_model, future)
    m = json.loads((future / "manifest.json").read_text())
    m["format_version"] = 99
    (future / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ModelError, match="format 99"):
        load(future)
    with pytest.raises(ModelError, match=r"no manifest\.json"):
        load(tmp_path)


@pytest.mark.slow
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


@pytest.mark.slow
def test_compact_options_prune_the_intent_weights_and_shrink_the_model(small_corpus, tmp_path):
    """intent_density keeps the largest weights (stored sparse) and crf_c1 prunes CRF features: a much
    smaller model that parses almost as well, and the same after a reload."""
    train, dev = small_corpus
    en = [e for e in train if e.locale == "en-US"]
    en_dev = [e for e in dev if e.locale == "en-US"]
    full = registry.create("linear", jobs=1, crf_iterations=40).fit(en, en_dev)
    small = registry.create("linear", jobs=1, crf_iterations=40, intent_density=0.05, crf_c1=1.0).fit(en, en_dev)
    sizes = {}
    for name, parser in (("full", full), ("small", small)):
        parser.save(tmp_path / name)
        sizes[name] = sum(p.stat().st_size for p in (tmp_path / name).rglob("*") if p.is_file())
    assert sizes["small"] < 0.5 * sizes["full"], sizes
    dense, sparse = full._model("en-US").intent, small._model("en-US").intent
    assert isinstance(sparse.weights, SparseWeights) and not isinstance(dense.weights, SparseWeights)
    assert len(sparse.weights.values) <= 0.05 * dense.weights.size + 1
    assert len(sparse.vocabulary) < len(dense.vocabulary)
    # Sparse scoring is the dense product of the same (pruned) matrix.
    matrix = np.zeros((len(sparse.vocabulary), len(sparse.intents)), dtype=np.float32)
    for r in range(len(matrix)):
        lo, hi = sparse.weights.indptr[r], sparse.weights.indptr[r + 1]
        matrix[r, sparse.weights.columns[lo:hi]] = (
            sparse.weights.values[lo:hi].astype(np.float32) * sparse.weights.scale
        )
    assert sparse.weights.values.dtype == np.int8 and np.array_equal(
        sparse.weights.to_dense(len(sparse.intents)), matrix
    )
    as_dense = IntentModel(sparse.vocabulary, sparse.idf, matrix, sparse.bias, sparse.intents, sparse.temperature)
    for e in en_dev[:30]:
        doc = intent_features(e.text, list(e.words), False)
        assert np.allclose(sparse.scores(doc), as_dense.scores(doc), atol=1e-5)
    em = {
        name: build_report(en_dev, p.parse_examples(en_dev)).per_locale["en-US"].exact_match
        for name, p in (("full", full), ("small", small))
    }
    assert em["small"] > em["full"] - 0.05 and em["small"] > 0.4, em
    reloaded = load(tmp_path / "small")
    texts = [e.text for e in en_dev[:60]]
    assert [p.to_dict() for p in reloaded.parse(texts, "en-US")] == [p.to_dict() for p in small.parse(texts, "en-US")]
    assert read_manifest(tmp_path / "small")["options"]["intent_density"] == 0.05
    bad = tmp_path / "small-bad"
    shutil.copytree(tmp_path / "small", bad)
    with np.load(bad / "locales" / "en-US" / "intent.npz") as z:
        arrays = {k: z[k] for k in z.files}
    assert arrays["values"].dtype == np.int8 and arrays["idf"].dtype == np.float16 and "indptr" not in arrays
    counts = arrays["counts"].copy()
    counts[0] += 1  # the rows claim one weight more than the file holds
    np.savez_compressed(bad / "locales" / "en-US" / "intent.npz", **{**arrays, "counts": counts})
    with pytest.raises(ModelError, match="corrupt"):
        load(bad).parse(["hello"], "en-US")
    # A model saved in the first sparse layout (row pointers, float16 weights, float32 idf) still loads.
    first = tmp_path / "small-first-layout"
    shutil.copytree(tmp_path / "small", first)
    w = sparse.weights
    np.savez_compressed(
        first / "locales" / "en-US" / "intent.npz",
        bias=arrays["bias"],
        indptr=w.indptr,
        columns=w.columns,
        values=(w.values.astype(np.float32) * w.scale).astype(np.float16),
        idf=sparse.idf,
    )
    as_format_1(first)  # that layout was written before artifact format 2
    old = load(first)
    assert [p.intent for p in old.parse(texts, "en-US")] == [p.intent for p in small.parse(texts, "en-US")]
    ptr = w.indptr.copy()
    ptr[1:-1] = ptr[1:-1][::-1].copy()  # same ends, rows out of order
    np.savez_compressed(
        first / "locales" / "en-US" / "intent.npz",
        bias=arrays["bias"],
        indptr=ptr,
        columns=w.columns,
        values=w.values.astype(np.float16),
        idf=sparse.idf,
    )
    with pytest.raises(ModelError, match="corrupt"):
        load(first).parse(["hello"], "en-US")
    # Pruning a trained model afterwards gives what training with that density gives.
    trained_pruned = registry.create("linear", jobs=1, crf_iterations=40, intent_density=0.05).fit(en, en_dev)
    after = full.compacted(intent_density=0.05)
    assert after.options.intent_density == 0.05 and full.options.intent_density == 1.0
    assert [(p.intent, p.word_labels) for p in after.parse(texts, "en-US")] == [
        (p.intent, p.word_labels) for p in trained_pruned.parse(texts, "en-US")
    ]
    with pytest.raises(InputError, match="already pruned"):
        small.compacted(intent_density=0.01)
    with pytest.raises(InputError, match=r"intent_density 0: expected a fraction in \(0, 1\]"):
        registry.create("linear", intent_density=0)


def test_models_in_the_earlier_uncompressed_layout_still_load(trained_model, tmp_path):
    """Models saved before the compressed layout (dense .npy weights, plain vocabulary and CRF) load and
    parse as before."""
    old = tmp_path / "old"
    shutil.copytree(trained_model, old)
    for d in (old / "locales").iterdir():
        with np.load(d / "intent.npz") as z:
            np.save(d / "intent_idf.npy", z["idf"])
            np.save(d / "intent_bias.npy", z["bias"])
            np.save(d / "intent_weights.npy", z["weights"])
        (d / "intent.npz").unlink()
        (d / "intent_vocab.json").write_bytes(lzma.decompress((d / "intent_vocab.json.xz").read_bytes()))
        (d / "intent_vocab.json.xz").unlink()
        (d / "slots.crfsuite").write_bytes(gzip.decompress((d / "slots.crfsuite.gz").read_bytes()))
        (d / "slots.crfsuite.gz").unlink()
    as_format_1(old)
    texts = ["wake me up at seven am tomorrow", "play some jazz"]
    expected = [p.to_dict() for p in load(trained_model).parse(texts, "en-US")]
    assert [p.to_dict() for p in load(old).parse(texts, "en-US")] == expected
    # The compressed layout as first written: a gzip vocabulary instead of xz.
    gz = tmp_path / "gzip-vocabulary"
    shutil.copytree(trained_model, gz)
    for d in (gz / "locales").iterdir():
        (d / "intent_vocab.json.gz").write_bytes(
            gzip.compress(lzma.decompress((d / "intent_vocab.json.xz").read_bytes()))
        )
        (d / "intent_vocab.json.xz").unlink()
    as_format_1(gz)
    assert [p.to_dict() for p in load(gz).parse(texts, "en-US")] == expected


def test_serving_a_linear_model_does_not_import_pytorch(trained_model):
    """Only the asked-for parser kind is imported: PyTorch alone costs ~200 MB of resident memory."""
    code = (
        "import sys; from kiloglot.nlu import load; "
        f"p = load({str(trained_model)!r}); p.parse(['wake me up at seven'], 'en-US'); "
        "print(sorted(m for m in ('torch', 'transformers', 'onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    kinds = subprocess.run(
        [sys.executable, "-c", "from kiloglot.nlu import registry; print(registry.kinds())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert kinds.strip() == "['ensemble', 'linear', 'neural', 'scoped']"


def test_upgrade_rewrites_a_format_1_model_in_the_current_format(trained_model, tmp_path):
    from typer.testing import CliRunner

    from kiloglot.cli.main import app

    old = tmp_path / "old"
    shutil.copytree(trained_model, old)
    for d in (old / "locales").iterdir():  # the first compressed layout: a gzip vocabulary
        (d / "intent_vocab.json.gz").write_bytes(
            gzip.compress(lzma.decompress((d / "intent_vocab.json.xz").read_bytes()))
        )
        (d / "intent_vocab.json.xz").unlink()
    as_format_1(old)
    assert read_manifest(old)["storage"]["intent"] == "v1-gzip"  # read through the upgrade step
    r = CliRunner().invoke(app, ["upgrade", str(old), "--out", str(tmp_path / "new")])
    assert r.exit_code == 0, r.output
    raw = json.loads((tmp_path / "new" / "manifest.json").read_text())
    assert raw["format_version"] == 2 and raw["runtime"] == "python"
    assert raw["storage"] == {"intent": "dense", "slots": "crfsuite"}
    assert raw["metrics"] == read_manifest(trained_model)["metrics"]
    texts = ["wake me up at seven am tomorrow", "明日の天気は"]
    for locale in ("en-US", "ja-JP"):
        expected = [
            p.to_dict() for p in load(trained_model).parse(texts[:1] if locale == "en-US" else texts[1:], locale)
        ]
        assert [
            p.to_dict() for p in load(tmp_path / "new").parse(texts[:1] if locale == "en-US" else texts[1:], locale)
        ] == expected
    r = CliRunner().invoke(app, ["upgrade", str(old)])  # in place
    assert r.exit_code == 0 and json.loads((old / "manifest.json").read_text())["format_version"] == 2
