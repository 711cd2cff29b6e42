"""The compact CRF (int8 weights, NumPy Viterbi) against crfsuite, and the compact linear model."""

from __future__ import annotations

import itertools
import pickle
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from kiloglot.cli.main import app
from kiloglot.data.segmentation import splits_characters
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu import load, read_manifest, registry
from kiloglot.nlu.linear.features import word_features
from kiloglot.nlu.linear.index import FeatureIndex
from kiloglot.nlu.linear.intent import SparseWeights
from kiloglot.nlu.linear.slots import CompactTagger, _viterbi

runner = CliRunner()


def _features(examples, locale):
    chars = splits_characters(locale)
    return [word_features(list(e.words), e.intent, chars) for e in examples if e.locale == locale]


def _unquantised(t: CompactTagger, model: bytes) -> CompactTagger:
    """The same tagger with the crfsuite weights as float32 (no int8 rounding)."""
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model)
    label = {k: i for i, k in enumerate(t.labels)}
    dense = np.zeros((len(t.attributes), len(t.labels)), dtype=np.float32)
    row = {a: i for i, a in enumerate(t.attributes.names())}
    for (attr, lab), w in tagger.info().state_features.items():
        dense[row[attr], label[lab]] = w
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(len(dense) + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=len(dense)), out=indptr[1:])
    return CompactTagger(
        t.attributes, t.labels, SparseWeights(indptr, cols.astype(np.uint16), dense[rows, cols]), t.transitions
    )


def test_viterbi_finds_the_best_labelling():
    rng = np.random.default_rng(0)
    for n_words in (1, 2, 4):
        emit = rng.normal(size=(n_words, 5)).astype(np.float32)
        trans = rng.normal(size=(5, 5)).astype(np.float32)

        def score(path, emit=emit, trans=trans):
            return sum(emit[t, k] for t, k in enumerate(path)) + sum(trans[a, b] for a, b in itertools.pairwise(path))

        best = max(itertools.product(range(5), repeat=n_words), key=score)
        assert _viterbi(emit, trans) == list(best)


def test_compact_tagger_labels_as_crfsuite(trained_model, small_corpus):
    _, dev = small_corpus
    parser = load(trained_model)
    for locale in ("en-US", "ja-JP"):
        crfsuite = parser._model(locale).slots
        compact = crfsuite.compact()
        exact = _unquantised(compact, crfsuite.model)
        xs = _features(dev, locale)
        expected = [crfsuite.tag(x) for x in xs]
        # Float weights: crfsuite's labels exactly (its score has no start or end weights).
        assert [exact.tag(x) for x in xs] == expected
        # int8 weights: the same labels but for near-ties.
        same = np.mean([compact.tag(x) == y for x, y in zip(xs, expected)])
        assert same >= 0.97, (locale, same)
        assert compact.tag([]) == []
        # Features the model never saw are ignored, as crfsuite ignores them.
        assert compact.tag([["never-seen"], ["w=" + "zzz"]]) == crfsuite.tag([["never-seen"], ["w=zzz"]])


def test_attribute_index_finds_its_strings_and_only_them():
    names = sorted({"w=play", "w-1=<s>", "iw=alarm_set|seven", "t=七時に", "p2=pl", ""})
    index = FeatureIndex(names)
    assert len(index) == len(names) and index.names() == names
    queries = [*names, "w=nothing", "W=play"]
    rows = index.rows(np.array([hash(q) for q in queries], dtype=np.int64))
    assert list(rows) == [*range(len(names)), -1, -1]
    # Pickling (training workers send models to the parent) rebuilds the hash index in the new process.
    again = pickle.loads(pickle.dumps(index))
    assert again.names() == names and list(again.rows(np.array([hash("p2=pl")], dtype=np.int64))) == [
        names.index("p2=pl")
    ]
    with pytest.raises(ValueError, match="share a hash"):
        FeatureIndex(["w=a", "w=a"])
    assert list(FeatureIndex([]).rows(np.array([hash("x")], dtype=np.int64))) == [-1]


def test_density_keeps_the_largest_state_weights(trained_model):
    crfsuite = load(trained_model)._model("en-US").slots
    full, half = crfsuite.compact(), crfsuite.compact(0.5)
    n_full, n_half = len(full.state.values), len(half.state.values)
    assert abs(n_half - round(n_full / 2)) <= 1 and len(half.attributes) < len(full.attributes)
    kept = np.abs(half.state.values.astype(np.float32) * half.state.scale)
    dropped_max = np.sort(np.abs(full.state.values.astype(np.float32) * full.state.scale))[n_full - n_half - 1]
    assert kept.min() >= dropped_max - full.state.scale
    with pytest.raises(ValueError, match="density 0"):
        crfsuite.compact(0)
    with pytest.raises(InputError, match="compact_slots 'yes': expected true or false"):
        registry.create("linear", compact_slots="yes")


def test_compact_linear_model_saves_loads_and_is_smaller(trained_model, small_corpus, tmp_path):
    _, dev = small_corpus
    full = load(trained_model)
    small = full.compacted(intent_density=0.1, compact_slots=True)
    path = small.save(tmp_path / "compact")
    d = path / "locales" / "en-US"
    assert (d / "slots.npz").is_file() and (d / "slots_attributes.json.xz").is_file()
    assert not (d / "slots.crfsuite.gz").exists()
    manifest = read_manifest(path)
    assert manifest["options"]["compact_slots"] is True and manifest["options"]["intent_density"] == 0.1
    assert "slots.npz" in manifest["files"]["per_locale"]
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    full_size = sum(f.stat().st_size for f in trained_model.rglob("*") if f.is_file())
    assert size < full_size / 3
    en = [e for e in dev if e.locale == "en-US"][:300]
    texts = [e.text for e in en]
    reloaded = load(path)
    assert [p.to_dict() for p in reloaded.parse(texts, "en-US")] == [p.to_dict() for p in small.parse(texts, "en-US")]
    # Labels as the crfsuite model with the same intent weights, but for a few int8 near-ties.
    pruned_only = full.compacted(intent_density=0.1)
    same = np.mean(
        [
            a.word_labels == b.word_labels
            for a, b in zip(reloaded.parse(texts, "en-US"), pruned_only.parse(texts, "en-US"))
        ]
    )
    assert same >= 0.97
    # A compact model compacts again to itself (nothing left to convert).
    again = reloaded.compacted(compact_slots=True)
    assert [p.to_dict() for p in again.parse(texts[:50], "en-US")] == [
        p.to_dict() for p in reloaded.parse(texts[:50], "en-US")
    ]


@pytest.mark.slow
def test_training_with_compact_slots_equals_compacting_afterwards(small_corpus):
    train, dev = small_corpus
    en = [e for e in train if e.locale == "en-US"][:600]
    held = [e for e in dev if e.locale == "en-US"][:100]
    texts, intents = [e.text for e in held], [e.intent for e in held]
    trained = registry.create("linear", jobs=1, crf_iterations=20, compact_slots=True).fit(en)
    after = registry.create("linear", jobs=1, crf_iterations=20).fit(en).compacted(compact_slots=True)
    assert trained.options.compact_slots and after.options.compact_slots
    # The intent SVM's solver shuffles (its confidences differ in the 5th digit from fit to fit); the CRF
    # is deterministic, so with the intents fixed the labels must be the same.
    assert [p.word_labels for p in trained.parse_given_intents(texts, "en-US", intents)] == [
        p.word_labels for p in after.parse_given_intents(texts, "en-US", intents)
    ]


def test_corrupt_compact_slot_files_are_refused(trained_model, tmp_path):
    path = load(trained_model).compacted(compact_slots=True).save(tmp_path / "c")
    bad = tmp_path / "bad"
    shutil.copytree(path, bad)
    d = bad / "locales" / "en-US"
    with np.load(d / "slots.npz") as z:
        arrays = dict(z)
    arrays["columns"] = arrays["columns"].copy()
    arrays["columns"][0] = 250  # a label index past the labels
    np.savez_compressed(d / "slots.npz", **arrays)
    with pytest.raises(ModelError, match="corrupt"):
        load(bad).parse(["wake me up at seven"], "en-US")
    (bad / "locales" / "ja-JP" / "slots_attributes.json.xz").write_bytes(b"not xz")
    with pytest.raises(ModelError, match="corrupt"):
        load(bad).parse(["七時に起こして"], "ja-JP")
    (bad / "locales" / "sw-KE" / "slots.npz").unlink()
    with pytest.raises(ModelError, match=r"slots\.npz"):
        load(bad)


def test_cli_compact(trained_model, tmp_path):
    out = tmp_path / "small"
    r = runner.invoke(app, ["compact", str(trained_model), "--out", str(out), "--intent-density", "0.05"])
    assert r.exit_code == 0, r.output
    m = read_manifest(out)
    assert m["options"]["intent_density"] == 0.05 and m["options"]["compact_slots"] is True
    assert load(out).parse(["wake me up at seven am"], "en-US")[0].intent == "alarm_set"
    # Bad input: one line, exit 1, nothing written.
    for args, expected in (
        (["--intent-density", "1.5"], "intent_density 1.5"),
        (["--intent-density", "0"], "intent_density 0"),
    ):
        target = tmp_path / f"bad{len(args[1])}"
        r = runner.invoke(app, ["compact", str(trained_model), "--out", str(target), *args])
        assert r.exit_code == 1 and expected in r.output and not target.exists(), r.output
    r = runner.invoke(app, ["compact", str(out), "--out", str(tmp_path / "again"), "--intent-density", "0.5"])
    assert r.exit_code == 1 and "already pruned" in r.output
    r = runner.invoke(app, ["compact", str(tmp_path / "missing"), "--out", str(tmp_path / "x")])
    assert r.exit_code == 1 and "missing" in r.output and not (tmp_path / "x").exists()
