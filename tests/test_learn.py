"""In-domain pretraining (masked LM) and teacher -> student distillation, on real MASSIVE slices."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neural_helpers import TINY, tiny_hf_encoder

from kiloglot.errors import DataError, InputError
from kiloglot.learn.distill import StudentSpec, TargetsCache, distill, teacher_targets
from kiloglot.learn.pretrain import mask_tokens, pretrain
from kiloglot.learn.unlabeled import Utterance, read_unlabeled, sample_per_locale
from kiloglot.nlu import load, read_manifest, registry
from kiloglot.nlu.neural.model import crf_marginals
from kiloglot.nlu.neural.options import MaskingOptions

INTENTS = {"alarm_set", "weather_query", "play_music", "iot_hue_lightoff", "calendar_query"}


@pytest.fixture(scope="module")
def slices(massive_path):
    from kiloglot.data import read_massive

    data = read_massive(massive_path, ["en-US", "de-DE"], ["train", "dev"])
    en = [e for e in data if e.locale == "en-US" and e.partition == "train" and e.intent in INTENTS][:600]
    dev = [e for e in data if e.locale == "en-US" and e.partition == "dev" and e.intent in INTENTS][:120]
    de = [e for e in data if e.locale == "de-DE" and e.partition == "train" and e.intent in INTENTS][:300]
    return en, dev, [Utterance(e.locale, e.text, tuple(e.words)) for e in de]


@pytest.fixture(scope="module")
def teacher(slices, tmp_path_factory) -> Path:
    """A small CRF teacher trained on en-US gold only (a zero-shot teacher for de-DE)."""
    en, dev, _ = slices
    path = tmp_path_factory.mktemp("teacher") / "teacher"
    registry.create("neural", epochs=6, jobs=2, **TINY).fit(en, dev).save(path)
    return path


def test_crf_marginals_equal_brute_force_enumeration():
    torch.manual_seed(0)
    em, start, end, trans = torch.randn(2, 4, 3), torch.randn(3), torch.randn(3), torch.randn(3, 3)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    got = crf_marginals(em, mask, start, end, trans)
    for b in range(2):
        n = int(mask[b].sum())
        probs, z = torch.zeros(n, 3), 0.0
        for path in itertools.product(range(3), repeat=n):
            score = start[path[0]] + em[b, 0, path[0]] + end[path[-1]]
            score = score + sum(trans[path[k - 1], path[k]] + em[b, k, path[k]] for k in range(1, n))
            w = float(torch.exp(score))
            z += w
            for k in range(n):
                probs[k, path[k]] += w
        assert torch.allclose(probs / z, got[b, :n], atol=1e-5)


def test_teacher_targets_are_distributions_and_temperature_softens_them(teacher, slices):
    _, _, de = slices
    model = load(teacher)
    m = read_manifest(teacher)
    sharp = teacher_targets(model, de[:50], 1.0, (m["intents"], m["slots"]))
    soft = teacher_targets(model, de[:50], 4.0, (m["intents"], m["slots"]))
    assert np.allclose(sharp.intent_probs.sum(1), 1, atol=1e-5)
    assert all(np.allclose(a.sum(1), 1, atol=1e-5) and len(a) == len(u.words) for a, u in zip(sharp.slot_probs, de))
    assert soft.intent_probs.max(1).mean() < sharp.intent_probs.max(1).mean()
    # The best intent at T=1 is what the teacher's parse says.
    parses = model.parse([u.text for u in de[:50]], "de-DE")
    assert [sharp.intents[i] for i in sharp.intent_probs.argmax(1)] == [p.intent for p in parses]


def test_linear_student_learns_a_locale_it_has_no_labels_for_from_the_teacher(teacher, slices, tmp_path):
    en, dev, de = slices
    cache = tmp_path / "targets.npz"
    model, report = distill(teacher, StudentSpec.parse("linear"), en, de, dev=dev, cache=cache, jobs=2)
    assert report["unlabelled_locales"] == ["de-DE"] and report["unlabelled"] == len(de)
    t_parses = load(teacher).parse([u.text for u in de], "de-DE")
    s_parses = model.parse([u.text for u in de], "de-DE")
    agree = np.mean([t.intent == s.intent for t, s in zip(t_parses, s_parses)])
    assert agree > 0.9, agree  # it fits the teacher's labels of German text it never saw labelled
    assert model.supports("de-DE") and model.supports("en-US")
    # The targets were cached per utterance: any subset is found, new text is reported missing,
    # a file of another temperature (or teacher) is refused, not replaced.
    m = read_manifest(teacher)
    store = TargetsCache(cache, Path(teacher), 2.0)
    gold = [Utterance(e.locale, e.text, tuple(e.words)) for e in en]
    # A linear student takes hard labels, so the teacher labelled only the text without gold labels.
    assert store.get(gold)[1] == list(range(len(gold)))
    store.put(gold, teacher_targets(load(teacher), gold, 2.0, (m["intents"], m["slots"])))
    everything = gold + list(de)
    cached, todo = store.get(everything)
    assert todo == [] and len(cached) == len(en) + len(de)
    new = Utterance(
        "de-DE", "wecke mich morgen um sieben uhr zzz", ("wecke", "mich", "morgen", "um", "sieben", "uhr", "zzz")
    )
    part, todo = store.get([everything[3], new, everything[-1]])
    assert todo == [1] and np.allclose(part.intent_probs[0], cached.intent_probs[3])
    before = cache.read_bytes()
    with pytest.raises(InputError, match=r"another teacher's targets or another temperature .*at temperature 2\.0"):
        TargetsCache(cache, Path(teacher), 1.0).get(everything[:3])
    with pytest.raises(InputError, match="another teacher"):
        distill(teacher, StudentSpec.parse("linear"), en, de[:5], cache=cache, temperature=1.0)
    assert cache.read_bytes() == before  # refused, not replaced
    again = teacher_targets(load(teacher), everything[:5], 2.0, (m["intents"], m["slots"]))
    assert np.allclose(again.intent_probs, cached.intent_probs[:5], atol=2e-3)  # stored as float16
    # Adding targets keeps the old ones.
    store.put([new], teacher_targets(load(teacher), [new], 2.0, (m["intents"], m["slots"])))
    both, todo = store.get([new, everything[0]])
    assert todo == [] and np.allclose(both.intent_probs[1], cached.intent_probs[0])


def test_neural_student_distils_both_heads_saves_and_reloads(teacher, slices, tmp_path):
    en, dev, de = slices
    spec = StudentSpec.parse("neural:dim=32,layers=1,heads=2,ff=64,vocab_size=900,max_len=48")
    spec = StudentSpec(
        "neural", {**spec.options, "epochs": 5, "batch_size": 32, "learning_rate": 3e-3, "patience": 0, "seed": 3}
    )
    model, report = distill(teacher, spec, en, de, dev=dev, temperature=2.0, hard_weight=0.5, jobs=2)
    losses = [r.train_loss for r in model.reports]
    assert losses[-1] < 0.7 * losses[0], losses
    assert model.options.slot_decoder == "softmax" and model.model.crf is None
    assert model.intents == read_manifest(teacher)["intents"]  # the teacher's label space
    out = tmp_path / "student"
    model.save(out, metrics={"distillation": report})
    again = load(out)
    texts = [u.text for u in de[:20]]
    assert [p.to_dict() for p in again.parse(texts, "de-DE")] == [p.to_dict() for p in model.parse(texts, "de-DE")]
    manifest = read_manifest(out)
    assert manifest["distillation"] == {"temperature": 2.0, "hard_weight": 0.5}
    assert manifest["metrics"]["distillation"]["teacher"] == str(teacher)
    assert sum(p.numel() for p in again.model.parameters()) < sum(p.numel() for p in load(teacher).model.parameters())


def test_linear_student_with_gold_labels_for_all_its_text_needs_no_teacher_pass(teacher, slices, tmp_path):
    en, dev, _ = slices
    cache = tmp_path / "targets.npz"
    model, report = distill(teacher, StudentSpec.parse("linear"), en[:200], [], dev=dev, cache=cache, jobs=1)
    assert report["labelled"] == 200 and report["unlabelled"] == 0
    assert not cache.exists()  # nothing went to the teacher, so nothing was cached
    assert model.supports("en-US") and model.parse(["wake me up at seven"], "en-US")[0].intent in INTENTS


def test_distillation_rejects_bad_requests(teacher, slices):
    en, _, de = slices
    with pytest.raises(InputError, match="student 'bert'"):
        StudentSpec.parse("bert")
    with pytest.raises(InputError, match="temperature"):
        distill(teacher, StudentSpec("linear"), en, de, temperature=0)
    with pytest.raises(InputError, match="slot_decoder=softmax"):
        distill(
            teacher,
            StudentSpec("neural", {"slot_decoder": "crf", "epochs": 1}),
            en[:20],
            [],
            jobs=1,
        )


def test_masking_never_touches_padding_or_special_tokens_and_spans_are_contiguous():
    torch.manual_seed(1)
    ids = torch.randint(10, 100, (64, 30))
    maskable = torch.ones(64, 30, dtype=torch.bool)
    maskable[:, 0] = maskable[:, 25:] = False  # [CLS] and padding
    for span in (False, True):
        opts = MaskingOptions(span_masking=span, mean_span=3.0)
        corrupted, targets = mask_tokens(ids, maskable, opts, mask_id=4, vocab=100)
        chosen = targets != -100
        assert not (chosen & ~maskable).any() and chosen.any(1).all()
        assert 0.08 < chosen[:, 1:25].float().mean() < 0.25
        assert torch.equal(targets[chosen], ids[chosen]) and torch.equal(corrupted[~chosen], ids[~chosen])
        assert ((corrupted == 4) & chosen).float().sum() / chosen.sum() > 0.6  # 80 % become [MASK]
        runs = [len(list(g)) for row in chosen.tolist() for k, g in itertools.groupby(row) if k]
        if span:
            assert np.mean(runs) > 1.8, np.mean(runs)


@pytest.mark.slow
def test_scratch_pretraining_learns_and_the_encoder_starts_a_parser(slices, tmp_path):
    en, dev, de = slices
    texts = [Utterance(e.locale, e.text, tuple(e.words)) for e in en] + list(de)
    opts = {
        "epochs": 15,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "dim": 64,
        "layers": 1,
        "heads": 2,
        "ff": 128,
        "vocab_size": 400,
        "max_len": 48,
        "heldout": 80,
    }
    out = tmp_path / "enc"
    report = pretrain(texts, out, **opts)
    assert report["after"]["masked_token_accuracy"] > report["before"]["masked_token_accuracy"] + 0.07, report
    assert {"encoder.json", "encoder.safetensors", "tokenizer.json", "pretrain.json"} <= {p.name for p in out.iterdir()}
    from safetensors.torch import load_file

    pretrained = load_file(str(out / "encoder.safetensors"))
    parser = registry.create(
        "neural",
        encoder=str(out),
        epochs=0,
        jobs=2,
        **{k: v for k, v in TINY.items() if k not in ("dim", "layers", "heads", "ff", "vocab_size")},
    )
    parser.fit(en[:50])
    assert torch.equal(parser.model.encoder.tokens.weight, pretrained["tokens.weight"])  # starts from pretraining
    parser = registry.create(
        "neural", encoder=str(out), epochs=2, jobs=2, batch_size=32, learning_rate=3e-3, patience=0, max_len=48
    ).fit(en, dev)
    saved = tmp_path / "parser"
    parser.save(saved)
    shutil.rmtree(out)  # the artifact stands alone
    again = load(saved)
    assert [p.intent for p in again.parse(["wake me up at 7"], "en-US")] == [
        p.intent for p in parser.parse(["wake me up at 7"], "en-US")
    ]
    assert read_manifest(saved)["encoder"] == str(out)


@pytest.mark.slow
def test_hugging_face_masked_lm_pretraining_gives_a_folder_train_accepts(slices, tmp_path):
    en, dev, de = slices
    base = tmp_path / "tiny-bert"
    tiny_hf_encoder(base, [e.text for e in en] + [u.text for u in de], masked_lm=True)
    out = tmp_path / "bert-indomain"
    texts = [Utterance(e.locale, e.text, tuple(e.words)) for e in en]
    report = pretrain(
        texts,
        out,
        encoder=f"hf:{base}",
        epochs=3,
        batch_size=32,
        learning_rate=2e-3,
        heldout=60,
        span_masking=True,
    )
    assert report["after"]["masked_lm_loss"] < report["before"]["masked_lm_loss"]
    from transformers import AutoModel

    assert AutoModel.from_pretrained(str(out)).config.hidden_size == 32
    parser = registry.create(
        "neural", encoder=str(out), epochs=1, batch_size=32, learning_rate=2e-3, patience=0, max_len=48, jobs=2
    ).fit(en[:200], dev[:40])
    assert parser.parse(["play some jazz"], "en-US")[0].intent in INTENTS


def test_unlabelled_files_are_read_with_locales_and_bad_lines_are_named(tmp_path):
    f = tmp_path / "u.txt"
    f.write_text('{"text": "wecke mich um 7", "locale": "de-DE"}\nen-US\tplay jazz\n\n明日の天気\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 4: no locale"):
        read_unlabeled(str(f))
    got = read_unlabeled(str(f), default_locale="ja-JP")
    assert [(u.locale, len(u.words)) for u in got] == [("de-DE", 4), ("en-US", 2), ("ja-JP", 5)]
    assert [u.locale for u in read_unlabeled(str(f), ["en-US"], default_locale="ja-JP")] == ["en-US"]
    f.write_text("xx-XX\thello\n", encoding="utf-8")
    with pytest.raises(DataError, match="unknown locale 'xx-XX'"):
        read_unlabeled(str(f))
    with pytest.raises(InputError, match="massive:train"):
        read_unlabeled("massive:valid")
    with pytest.raises(InputError, match="does not exist"):
        read_unlabeled(str(tmp_path / "none.txt"))
    many = [Utterance("en-US", str(i), (str(i),)) for i in range(10)] + [Utterance("de-DE", "x", ("x",))]
    kept = sample_per_locale(many, 3, seed=1)
    assert sum(u.locale == "en-US" for u in kept) == 3 and sum(u.locale == "de-DE" for u in kept) == 1


def test_cli_distils_from_a_file_of_unlabelled_text_and_names_bad_input(teacher, slices, tmp_path, massive_path):
    from typer.testing import CliRunner

    from kiloglot.cli.main import app

    _, _, de = slices
    text = tmp_path / "de.txt"
    text.write_text("\n".join(u.text for u in de[:150]) + "\n", encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "student"
    bad = runner.invoke(
        app,
        [
            "distill",
            "--teacher",
            str(teacher),
            "--student",
            "linear",
            "--out",
            str(out),
            "--unlabeled",
            str(text),
            "--labeled-locales",
            "none",
            "--data",
            str(massive_path),
        ],
    )
    assert bad.exit_code == 1 and "no locale" in bad.output and "line 1" in bad.output and not out.exists()
    ok = runner.invoke(
        app,
        [
            "distill",
            "--teacher",
            str(teacher),
            "--student",
            "linear",
            "--out",
            str(out),
            "--unlabeled",
            str(text),
            "--locale",
            "de-DE",
            "--labeled-locales",
            "none",
            "--data",
            str(massive_path),
            "--jobs",
            "1",
        ],
    )
    assert ok.exit_code == 0, ok.output
    manifest = read_manifest(out)
    assert manifest["locales"] == ["de-DE"] and manifest["metrics"]["distillation"]["unlabelled"] == 150
    assert load(out).parse(["wecke mich um sieben"], "de-DE")[0].intent in manifest["intents"]
    missing = runner.invoke(app, ["pretrain", "--text", str(tmp_path / "none.txt"), "--out", str(tmp_path / "enc")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    # a bad encoder is named before any text is read (the missing text file would fail later)
    bad_encoder = runner.invoke(
        app,
        [
            "pretrain",
            "--encoder",
            str(tmp_path / "nope"),
            "--text",
            str(tmp_path / "none.txt"),
            "--out",
            str(tmp_path / "enc"),
        ],
    )
    assert (
        bad_encoder.exit_code == 1 and "unknown encoder" in bad_encoder.output and "none.txt" not in bad_encoder.output
    )
    assert not (tmp_path / "enc").exists()
