"""The benchmark scripts' one entry point and one results writer, run for real on a small model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, results: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BENCH_RESULTS_DIR": str(results)}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )


def test_the_entry_point_lists_every_script(tmp_path):
    r = bench(results=tmp_path)
    assert r.returncode == 0, r.stderr
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("*.py")} - {"__init__", "__main__", "results_io"}
    listed = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ")}
    assert listed == scripts
    bad = bench("no_such_benchmark", results=tmp_path)
    assert bad.returncode == 2 and "unknown benchmark 'no_such_benchmark'" in bad.stderr


def test_a_benchmark_writes_its_result_with_the_common_header(trained_model, tmp_path):
    r = bench("score_model", "--model", str(trained_model), "--name", "smoke", "--locales", "sw-KE", results=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads((tmp_path / "smoke.json").read_text())
    assert {"benchmark", "command", "date", "machine"} <= set(result) and result["benchmark"] == "score_model"
    assert result["machine"]["cpu_count"] == os.cpu_count() and "score_model" in result["command"]
    assert result["eval_locales"] == ["sw-KE"] and 0.3 < result["dev_mean"]["exact_match"] <= 1
    assert (tmp_path / "smoke_dev.md").is_file()


def test_the_spoken_loop_writes_each_locale_as_it_goes(trained_model, massive_path, tmp_path):
    pytest.importorskip("faster_whisper", reason="the speech extra")
    dump = tmp_path / "heard.jsonl"
    r = bench("spoken_loop", "--model", str(trained_model), "--locales", "en-US", "--per-locale", "2", "--skip", "1",
              "--repeats", "2", "--dump", str(dump), "--data", str(massive_path), "--name", "loop",
              results=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads((tmp_path / "loop.json").read_text())
    row = result["locales"]["en-US"]
    assert result["complete"] and row["utterances"] == 2 and row["voice"].startswith("espeak-ng:")
    assert 0 <= row["wer"] and 0 <= row["speech"]["exact_match"] <= 100 and row["spoken_lid_accuracy"] == 100
    assert len(row["speech_exact_match_per_pass"]) == 2
    assert "dev utterances 2-3 per locale, each spoken 2 times" in (tmp_path / "loop.md").read_text()
    heard = [json.loads(line) for line in dump.read_text().splitlines()]
    assert [h["pass"] for h in heard] == [0, 0, 1, 1] and heard[0]["id"] == heard[2]["id"]
    assert all(h["gold"]["intent"] and "from_speech" in h for h in heard)


def test_the_selflearn_benchmark_simulates_and_retrains_on_paths(trained_model, massive_path, tmp_path):
    r = bench("selflearn", "--model", str(trained_model), "--data", str(massive_path), "--locales", "sw-KE",
              "--users", "12", "--days", "2", "--requests", "3", "--min-support", "1", "--paths", "--anchors",
              "--mined-weight", "2", "--path-weight", "1", "--path-max-failures", "2", "--seed", "5",
              "--retrain-every", "1", "--refit-scope", "goal", "--parts", "simulate,retrain",
              "--name", "sl", results=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads((tmp_path / "sl.json").read_text())
    assert result["settings"]["refit"]["paths"] and result["settings"]["locales"] == ["sw-KE"]
    refit = result["settings"]["refit"]
    assert refit["path_weight"] == 1 and refit["path_max_failures"] == 2 and result["settings"]["seed"] == 5
    assert refit["scope"] == "goal"
    overall = result["with_learning"]["overall"]
    assert overall["requests"] == 12 * 2 * 3 == result["without_learning"]["overall"]["requests"]
    assert [r["scope"] for r in overall["retrains"]] == ["goal"]  # refit after day 1, scoped
    # in the loop too, the labels a refit could learn are checked against the goals, beside the raters' estimate
    in_loop = overall["retrains"][0]
    loop_cuts = [in_loop["label_precision"][f"paths_max_failures_{n}"] for n in (1, 2, None)]
    assert loop_cuts[0]["examples"] <= loop_cuts[1]["examples"] == in_loop["from_paths"] <= loop_cuts[2]["examples"]
    assert all(0 <= c["right"] <= c["judged"] <= c["examples"] for c in loop_cuts)
    assert {"max_failures", "rated", "precision"} <= set(in_loop["raters_estimate"])
    final = overall["label_check"]  # the same check on the whole log at the end of the week
    assert final["label_precision"]["mined"]["judged"] >= in_loop["label_precision"]["mined"]["judged"]
    assert {"max_failures", "rated", "precision"} <= set(final["raters_estimate"])
    changes = overall["changes"]  # every win and loss counted once, by its cause
    assert sum(n for k, n in changes.items() if k.endswith("_wins")) == overall["wins"]
    assert sum(n for k, n in changes.items() if k.endswith("_losses")) == overall["losses"]
    retrained = result["retrain"]
    # the offline retrain learns from paths as `kiloglot selflearn --paths` does, and says how many it took
    assert retrained["mined_weight"] == 2 and retrained["path_weight"] == 1
    assert 0 < retrained["from_paths"] <= retrained["examples"]
    labels = retrained["label_precision"]  # checked against the simulation's goals; a tighter cut takes fewer
    assert 0 < labels["mined"]["judged"] <= labels["mined"]["examples"]
    cuts = [labels[f"paths_max_failures_{n}"] for n in (1, 2, None)]
    assert cuts[0]["examples"] <= cuts[1]["examples"] == retrained["from_paths"] <= cuts[2]["examples"]
    assert all(0 <= c["right"] <= c["judged"] for c in cuts)
    # beside the truth, what the raters' paths estimate (the cut was given here, not calibrated)
    estimate = retrained["path_cut"]
    assert estimate["used"] == 2 and not estimate["auto"] and set(estimate["precision"]) <= {"1", "2", "3"}
    assert 0 < retrained["dev_exact_match_before"] <= 1 and 0 < retrained["dev_exact_match_after"] <= 1
    assert 0 < retrained["dev_exact_match_unscoped"] <= 1  # the scoped model is "after", the refit alone beside
    changes = retrained["dev_changes"]  # on dev, the scoped model changes a subset of what the refit alone changes
    assert set(changes) == {"served", "refit_alone"}
    assert changes["served"]["changed"] <= changes["refit_alone"]["changed"]
    assert all(c["became_right"] + c["became_wrong"] <= c["changed"] for c in changes.values())
    serving = retrained["serving_ms"]  # a scoped model parses out-of-scope texts twice: its cost is measured
    assert serving["texts"] > 0 and 0 < serving["original_p50"] <= serving["original_p99"]
    assert 0 < serving["served_p50"] <= serving["served_p99"]
    table = (tmp_path / "sl.md").read_text()
    assert "Retraining on mined pairs" in table and "Parse latency a turn" in table and "labels right: mined" in table


def test_benchmarks_md_finds_every_selflearn_run_oldest_first(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import write_benchmarks_md as w

    def put(name: str, date: str, **extra: object) -> None:
        (tmp_path / f"{name}.json").write_text(json.dumps({"date": date, **extra}))

    refit = {"mined_weight": 8, "anchors": True, "paths": True, "path_max_failures": "auto",
             "path_min_precision": 0.9}  # fmt: skip
    put("selflearn", "2026-12-01", with_learning={}, retrain={})
    put("selflearn_b", "2026-12-02", with_learning={})
    put("selflearn_a", "2026-12-03", with_learning={})
    put("selflearn_retrain_x", "2026-12-02", retrain={}, settings={"seed": 2, "refit": refit})
    put("selflearn_notes", "2026-12-02")  # neither kind: left out
    monkeypatch.setattr(w, "RESULTS", tmp_path)
    assert w.selflearn_results("simulation") == ["selflearn", "selflearn_b", "selflearn_a"]
    assert w.selflearn_results("retrain") == ["selflearn_retrain_x"]
    label = w._retrain_label(w.load("selflearn_retrain_x")["settings"])
    assert label == "mined x8, paths x8 (cut from ratings, >= 90.0 %), anchored, seed 2"
    assert w._retrain_label({"refit": {"mined_weight": 2, "paths": True, "path_weight": 1,
                                       "path_max_failures": 2}}) == "mined x2, paths x1 (<= 2 failures)"  # fmt: skip


def test_benchmarks_md_shows_the_in_loop_label_check_beside_the_raters_estimate(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import write_benchmarks_md as w

    labels = {"mined": {"judged": 40, "right": 36, "precision": 0.9},
              "paths_max_failures_2": {"judged": 50, "right": 30, "precision": 0.6}}  # fmt: skip
    refits = [
        {"day": 1, "label_precision": labels, "raters_estimate": {"precision": {"1": 0.7, "2": 0.65}}},
        {"day": 2},  # a refit without paths checks nothing
    ]
    end = {"label_precision": labels, "raters_estimate": {"precision": {"2": 0.5}}}
    run = {"with_learning": {"overall": {"retrains": refits, "label_check": end}}}
    [line, _] = w._label_checks([("selflearn_x", run), ("selflearn_y", {"with_learning": {"overall": {}}})])
    assert "day 1 mined 90.0 % of 40, paths 60.0 % of 50 (raters 65.0 %)" in line and "day 2" not in line
    assert "whole log mined 90.0 % of 40, paths 60.0 % of 50 (raters 50.0 %)" in line
    assert "selflearn_y" not in line
