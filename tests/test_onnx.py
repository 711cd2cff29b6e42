"""Deployment: a neural model exported to ONNX (fp32 and int8) parses like the PyTorch model, and
load() picks the runtime from the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from kiloglot.errors import InputError
from kiloglot.nlu import load, registry
from kiloglot.nlu.neural.export import export_onnx
from kiloglot.nlu.neural.onnx_runtime import OnnxNeuralParser

META = {"manifest.json", "config.json", "tokenizer.json"}
TINY = {
    "dim": 64,
    "layers": 1,
    "heads": 2,
    "ff": 128,
    "vocab_size": 1000,
    "batch_size": 32,
    "learning_rate": 3e-3,
    "patience": 0,
    "max_len": 48,
    "seed": 3,
    "epochs": 3,
}


@pytest.fixture(scope="module", params=["softmax", "crf"])
def neural_model(request, small_corpus, tmp_path_factory):
    train, dev = small_corpus
    intents = {"alarm_set", "weather_query", "play_music", "iot_hue_lightoff", "calendar_query"}
    tr = [e for e in train if e.locale in ("en-US", "ja-JP") and e.intent in intents][:600]
    dv = [e for e in dev if e.locale in ("en-US", "ja-JP") and e.intent in intents][:120]
    # the CRF model also reads ja as running text, so the ONNX runtime is checked with both alignments
    alignment = "content" if request.param == "crf" else "first"
    parser = registry.create("neural", jobs=2, slot_decoder=request.param, word_alignment=alignment, **TINY).fit(tr, dv)
    path = tmp_path_factory.mktemp("onnx") / f"pt-{request.param}"
    parser.save(path)
    return path, dv


def test_onnx_fp32_matches_pytorch(neural_model, tmp_path):
    path, dev = neural_model
    out = export_onnx(path, tmp_path / "fp32")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runtime"] == "onnx" and manifest["quantization"] is None
    assert {f.name for f in out.iterdir()} == META | {"model.onnx"}  # self-contained, nothing left over
    pt, ox = load(path), load(out)
    assert isinstance(ox, OnnxNeuralParser)
    assert ox.tokenizer.alignment == pt.tokenizer.alignment == pt.options.word_alignment
    for locale in ("en-US", "ja-JP", "sw-KE"):  # sw-KE: a locale the model never saw, as with PyTorch
        texts = [e.text for e in dev if e.locale == locale] or ["washa taa jikoni", "cheza muziki"]
        a, b = pt.parse(texts, locale), ox.parse(texts, locale)
        assert [p.intent for p in a] == [p.intent for p in b]
        assert [p.word_labels for p in a] == [p.word_labels for p in b]  # CRF: numpy Viterbi == torchcrf
        gap = max(abs(x[1] - y[1]) for p, q in zip(a, b) for x, y in zip(p.alternatives, q.alternatives))
        assert gap < 1e-4, gap  # stated tolerance for fp32: intent probabilities within 1e-4


def test_onnx_int8_is_smaller_and_agrees_within_tolerance(neural_model, tmp_path):
    path, dev = neural_model
    out = export_onnx(path, tmp_path / "int8", int8=True)

    def size(d):
        return sum(f.stat().st_size for f in d.iterdir() if f.name not in META)

    pt, q = load(path), load(out)
    texts = [e.text for e in dev]
    a = pt.parse_examples(dev)
    b = q.parse_examples(dev)
    assert {f.name for f in out.iterdir()} == META | {"model.onnx"}
    assert size(out) < 0.6 * size(path)
    intent_agree = np.mean([p.intent == r.intent for p, r in zip(a, b)])
    labels_agree = np.mean([p.word_labels == r.word_labels for p, r in zip(a, b)])
    # stated tolerance for int8: >= 95% same intents and >= 90% identical label sequences
    assert intent_agree >= 0.95 and labels_agree >= 0.90, (intent_agree, labels_agree, len(texts))


def test_export_rejects_what_it_cannot_export(trained_model, tmp_path):
    with pytest.raises(InputError, match="expected a neural model"):
        export_onnx(trained_model, tmp_path / "x")


def test_an_ensemble_of_a_linear_and_an_onnx_model_serves_without_pytorch(neural_model, trained_model, tmp_path):
    import subprocess
    import sys

    from kiloglot.nlu.ensemble import EnsembleParser

    path, dev = neural_model
    onnx_dir = export_onnx(path, tmp_path / "int8", int8=True)
    ens = EnsembleParser.from_paths([trained_model, onnx_dir], weights=[0.6, 0.4]).save(tmp_path / "ens")
    texts = [e.text for e in dev if e.locale == "ja-JP"][:20]
    code = (
        "import json, sys; from kiloglot.nlu import load; "
        f"p = load({str(ens)!r}); r = p.parse({texts!r}, 'ja-JP'); "
        "print(json.dumps([[q.intent, list(q.word_labels)] for q in r])); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[-1] == "[]"
    got = json.loads(out[-2])
    want = load(ens).parse(texts, "ja-JP")
    assert got == [[q.intent, list(q.word_labels)] for q in want]
