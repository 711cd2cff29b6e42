from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from artifact_helpers import as_format_1
from neural_helpers import TINY, tiny_hf_encoder

from kiloglot.errors import InputError
from kiloglot.evaluation import build_report
from kiloglot.nlu import load, read_manifest, registry


@pytest.fixture(scope="module")
def tiny_corpus(small_corpus):
    train, dev = small_corpus
    keep = [e for e in train if e.locale in ("en-US", "ja-JP")]
    # A few intents keep the task learnable in seconds.
    intents = {"alarm_set", "weather_query", "play_music", "iot_hue_lightoff", "calendar_query"}
    tr = [e for e in keep if e.intent in intents][:700]
    dv = [e for e in dev if e.locale in ("en-US", "ja-JP") and e.intent in intents][:160]
    return tr, dv


@pytest.fixture(scope="module")
def scratch_model(tiny_corpus, tmp_path_factory):
    tr, dv = tiny_corpus
    parser = registry.create("neural", epochs=6, jobs=2, **TINY).fit(tr, dv)
    path = tmp_path_factory.mktemp("neural") / "scratch"
    parser.save(path)
    return parser, path


def test_scratch_model_learns_and_reloads_identically(scratch_model, tiny_corpus):
    parser, path = scratch_model
    _, dv = tiny_corpus
    losses = [r.train_loss for r in parser.reports]
    assert losses[-1] < 0.6 * losses[0], losses
    report = build_report(dv, parser.parse_examples(dv))
    assert report.mean.intent_accuracy > 0.6, report.mean  # 5 intents: chance is about 0.2
    again = load(path)
    texts = [e.text for e in dv if e.locale == "ja-JP"][:20]
    assert [p.to_dict() for p in again.parse(texts, "ja-JP")] == [p.to_dict() for p in parser.parse(texts, "ja-JP")]
    m = read_manifest(path)
    assert m["kind"] == "neural" and m["runtime"] == "pytorch" and m["locales"] == ["en-US", "ja-JP"]
    assert parser.model.crf is not None and again.options.slot_decoder == "crf"  # the default decoder
    assert {p.name for p in path.iterdir()} == {"manifest.json", "config.json", "model.safetensors", "tokenizer.json"}


@pytest.mark.slow
def test_softmax_slot_decoder_learns_and_older_artifacts_still_load(tiny_corpus, tmp_path):
    tr, dv = tiny_corpus
    parser = registry.create("neural", epochs=6, jobs=2, slot_decoder="softmax", **TINY).fit(tr, dv)
    assert parser.model.crf is None
    losses = [r.train_loss for r in parser.reports]
    assert losses[-1] < 0.6 * losses[0], losses
    parses = parser.parse_examples(dv)
    assert all(len(p.word_labels) == len(e.words) for p, e in zip(parses, dv))
    assert build_report(dv, parses).mean.slot_micro_f1 > 0.2
    parser.save(tmp_path / "sm")
    as_format_1(tmp_path / "sm", drop_options=("slot_decoder",))  # as saved before the option existed (softmax only)
    again = load(tmp_path / "sm")
    assert again.options.slot_decoder == "softmax"
    texts = [e.text for e in dv][:20]
    assert [p.to_dict() for p in again.parse(texts, "en-US")] == [p.to_dict() for p in parser.parse(texts, "en-US")]
    with pytest.raises(InputError, match="slot_decoder 'hmm'"):
        registry.create("neural", slot_decoder="hmm")


def test_predictions_map_onto_massive_words(scratch_model):
    parser, _ = scratch_model
    for text, locale in (("明日の天気は", "ja-JP"), ("turn off the lights in the kitchen", "en-US")):
        p = parser.parse([text], locale)[0]
        from kiloglot.data import segment

        assert len(p.word_labels) == len(segment(text, locale))
        for s in p.slots:
            assert text[s.start : s.end] == s.value
    # One multilingual model: any MASSIVE locale can be parsed (zero-shot), unknown ones cannot.
    assert parser.parse(["weck mich um sieben"], "de-DE")[0].intent
    with pytest.raises(InputError, match="unknown locale"):
        parser.parse(["hi"], "xx-XX")


@pytest.mark.slow
def test_interrupted_training_resumes_to_the_same_model(tiny_corpus, tmp_path):
    tr, dv = tiny_corpus
    opts = dict(epochs=3, jobs=2, **TINY)
    full = registry.create("neural", **opts).fit(tr, dv)

    calls = {"n": 0}

    def interrupt(note: str, secs: float) -> None:
        if note.startswith("epoch 2/"):
            raise KeyboardInterrupt

    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        registry.create("neural", checkpoint_dir=str(ckpt), **opts).fit(tr, dv, progress=interrupt)
    assert (ckpt / "checkpoint.pt").is_file()
    resumed = registry.create("neural", checkpoint_dir=str(ckpt), **opts).fit(tr, dv)
    assert [r.epoch for r in resumed.reports] == [1, 2, 3]
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed run differs from the uninterrupted one"
    # A checkpoint of another run is refused, not silently mixed in.
    with pytest.raises(InputError, match="belongs to another run"):
        registry.create("neural", checkpoint_dir=str(ckpt), **{**opts, "seed": 6}).fit(tr, dv)
    (ckpt / "checkpoint.pt").write_bytes(b"truncated")
    from kiloglot.errors import ModelError

    with pytest.raises(ModelError, match="cannot be read"):
        registry.create("neural", checkpoint_dir=str(ckpt), **opts).fit(tr, dv)
    del calls


@pytest.mark.slow
def test_hugging_face_encoder_path_trains_saves_reloads(tiny_corpus, tmp_path):
    tr, dv = tiny_corpus
    enc = tmp_path / "tiny-bert"
    tiny_hf_encoder(enc, [e.text for e in tr])
    parser = registry.create(
        "neural", encoder=f"hf:{enc}", epochs=2, batch_size=32, learning_rate=2e-3, patience=0, max_len=48, jobs=2
    ).fit(tr, dv)
    out = tmp_path / "hf-model"
    parser.save(out)
    shutil.rmtree(enc)  # the artifact must not need the original folder
    again = load(out)
    texts = [e.text for e in dv][:16]
    assert [p.to_dict() for p in again.parse(texts, "en-US")] == [p.to_dict() for p in parser.parse(texts, "en-US")]
    assert (out / "encoder" / "config.json").is_file() and (out / "tokenizer" / "tokenizer.json").is_file()
    assert read_manifest(out)["encoder"] == f"hf:{enc}"


@pytest.mark.slow
def test_freeze_layers_keeps_the_lower_layers_fixed(tiny_corpus):
    tr, dv = tiny_corpus
    runs = {}
    for epochs in (0, 1):  # epochs=0: the initial weights (same seed, same tokenizer)
        parser = registry.create("neural", jobs=2, **{**TINY, "layers": 2, "epochs": epochs, "freeze_layers": 1})
        runs[epochs] = parser.fit(tr[:200], dv[:40]).model.encoder
    before, after = (dict(runs[e].named_parameters()) for e in (0, 1))
    frozen = [n for n in before if n.startswith(("tokens.", "positions.", "layers.layers.0."))]
    trained = [n for n in before if n.startswith("layers.layers.1.")]
    assert frozen and trained
    assert all(torch.equal(before[n], after[n]) for n in frozen)
    assert any(not torch.equal(before[n], after[n]) for n in trained)


def test_bad_encoder_specs_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="unknown encoder"):
        registry.create("neural", encoder="bert")
    with pytest.raises(InputError, match="cannot load Hugging Face encoder"):
        from kiloglot.data import SlotCodec

        ex = SlotCodec.decode("hello", "en-US", id="1", intent="general_greet")
        registry.create("neural", encoder=f"hf:{tmp_path}/none", epochs=1).fit([ex])


@pytest.mark.slow
def test_ddp_with_two_cpu_processes_through_torchrun(tiny_corpus, tmp_path):
    tr, dv = tiny_corpus
    data = tmp_path / "data"
    data.mkdir()
    from kiloglot.data import SlotCodec

    with open(data / "en-US.jsonl", "w", encoding="utf-8") as f:
        for e in [x for x in tr + dv if x.locale == "en-US"]:
            f.write(
                json.dumps(
                    {
                        "id": e.id,
                        "locale": e.locale,
                        "partition": e.partition,
                        "intent": e.intent,
                        "scenario": e.scenario,
                        "utt": e.text,
                        "annot_utt": SlotCodec.encode(e),
                    }
                )
                + "\n"
            )
    out = tmp_path / "ddp-model"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "kiloglot",
        "train",
        "--parser",
        "neural",
        "--locales",
        "en-US",
        "--data",
        str(data),
        "--out",
        str(out),
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--jobs",
        "1",
        "--patience",
        "0",
        "-o",
        "dim=32",
        "-o",
        "layers=1",
        "-o",
        "heads=2",
        "-o",
        "ff=64",
        "-o",
        "vocab_size=600",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "with 2 process(es)" in proc.stderr  # the training log (logging, on stderr)
    parser = load(out)
    assert parser.parse(["wake me up at six"], "en-US")[0].intent


def test_cli_evaluates_and_parses_a_neural_model_zero_shot(scratch_model, massive_path, tmp_path):
    from typer.testing import CliRunner

    from kiloglot.cli.main import app

    _, path = scratch_model
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "evaluate",
            str(path),
            "--split",
            "dev",
            "--locales",
            "en-US,sw-KE",
            "--data",
            str(massive_path),
            "--report",
            str(tmp_path / "rep.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "| sw-KE | 2033 |" in r.stdout  # not a training locale: zero-shot
    r = runner.invoke(app, ["parse", str(path), "明日の天気を教えて", "--locale", "ja-JP"])
    assert r.exit_code == 0 and json.loads(r.stdout)["locale"] == "ja-JP"


def test_length_batches_bound_padding_and_keep_every_utterance_once():
    from types import SimpleNamespace

    from kiloglot.nlu.neural.decode import length_batches

    lengths = [40, 3, 4, 3, 12, 5, 3, 13, 41, 4]
    encs = [SimpleNamespace(ids=[0] * n) for n in lengths]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = length_batches(encs, max_size=3)
    assert [i for b in batches for i in b] == order  # every index once, in length order
    assert all(1 <= len(b) <= 3 for b in batches)
    assert all(lengths[b[-1]] <= 1.25 * lengths[b[0]] + 2 for b in batches)
    assert [sorted(lengths[i] for i in b) for b in batches][-2:] == [
        [12, 13],
        [40, 41],
    ]  # long ones not padded with short
    with pytest.raises(ValueError, match="batch size 0"):
        length_batches(encs, max_size=0)


def test_a_mixed_batch_parses_like_one_utterance_at_a_time(scratch_model, tiny_corpus):
    parser, _ = scratch_model
    _, dv = tiny_corpus
    texts = [e.text for e in dv if e.locale == "en-US"][:12]
    texts.append(" ".join(texts[:6]))  # one long utterance among short ones
    together = parser.parse(texts, "en-US")
    alone = [parser.parse([t], "en-US")[0] for t in texts]
    assert [p.intent for p in together] == [p.intent for p in alone]
    assert [p.word_labels for p in together] == [p.word_labels for p in alone]
    assert [p.confidence for p in together] == pytest.approx([p.confidence for p in alone], abs=1e-5)
