#!/usr/bin/env python3
"""Which stage of the teacher-to-student recipe bought how much, in one table (issue 4).

Runs no model: it reads results that other scripts recorded under benchmarks/results and writes
benchmarks/results/recipe_stages.{json,md}. Per setting, each stage names the model, its dev exact
match on the setting's measure (zero-shot: mean over the 51 locales without labels; full data: mean
over all 52), the change against the stage it builds on, a student's share of its teacher's exact
match in the same run, and speed and size where they were recorded. Every row names the result
file it came from; a missing file stops the script with its name.

    python benchmarks/recipe_stages.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from results_io import RESULTS, header, write_result

ZERO_SHOT, FULL = "zero-shot", "full data"


@dataclass(frozen=True)
class Stage:
    key: str
    setting: str
    label: str
    source: str  # result file stem; "<stem>#<role>" for a row of a student_goals run
    base: str | None = None  # the stage this one builds on: the change is measured against it
    teacher: str | None = None  # for students: the teacher's row in the same student_goals run
    speed: str | None = None  # a speed_parser result stem (student_goals rows carry their own)


STAGES = (
    Stage(
        "Z1",
        ZERO_SHOT,
        "scratch encoder, fine-tuned on en-US",
        "neural_scratch_zeroshot",
        speed="neural_scratch_zeroshot_speed",
    ),
    Stage(
        "Z2",
        ZERO_SHOT,
        "pretrained multilingual encoder (me5-small), fine-tuned on en-US, words read `first`",
        "neural_me5_zeroshot_crf_fl6",
        base="Z1",
    ),
    Stage("Z3", ZERO_SHOT, "the same weights, words read `content`", "neural_me5_zeroshot_crf_fl6_content", base="Z2"),
    Stage(
        "Z4",
        ZERO_SHOT,
        "stage-2 masked-LM on unlabelled MASSIVE text of 52 locales, then the same fine-tuning",
        "neural_me5mlmfl6_zeroshot_crf_fl6_content",
        base="Z3",
    ),
    Stage(
        "Z5",
        ZERO_SHOT,
        "self-training round 1: the Z2 model's labels of 4,000 unlabelled utterances per locale",
        "neural_me5_selftrained_zeroshot",
        base="Z2",
    ),
    Stage("Z6", ZERO_SHOT, "self-training round 2 (words read `first`)", "neural_me5_selftrained2_zeroshot", base="Z5"),
    Stage(
        "Z7",
        ZERO_SHOT,
        "round 2, the same weights, words read `content`",
        "neural_me5_selftrained2_zeroshot_content",
        base="Z6",
    ),
    Stage(
        "Z8",
        ZERO_SHOT,
        "self-training round 3, trained with `content` (the best zero-shot teacher)",
        "neural_me5_selftrained3_zeroshot",
        base="Z7",
        speed="neural_me5_selftrained3_zeroshot_speed",
    ),
    Stage(
        "Z9",
        ZERO_SHOT,
        "distilled into the compact linear parser (600 dev utt./locale)",
        "distill_goals_self3#student-linear-compact",
        teacher="distill_goals_self3#teacher",
    ),
    Stage(
        "Z10",
        ZERO_SHOT,
        "distilled into a neural d128 x 2 student, ONNX int8 (300 dev utt./locale)",
        "distill_goals_self3_d128#student-d128l2-int8",
        teacher="distill_goals_self3_d128#teacher",
    ),
    Stage("F1", FULL, "linear parser (per locale, gold labels)", "linear_all52", speed="linear_all52_compressed_speed"),
    Stage(
        "F2",
        FULL,
        "me5-small fine-tuned on all 52 locales (1 epoch, 5,000 utt./locale)",
        "neural_me5_full_5k_e1_content",
    ),
    Stage(
        "F2b",
        FULL,
        "the same fine-tuning, trained with `content` (F2 was trained with `first`, read with `content`)",
        "neural_me5_full_5k_e1_ct",
        base="F2",
        speed="neural_me5_full_5k_e1_ct_speed",
    ),
    Stage(
        "F2c",
        FULL,
        "stage-2 masked-LM on unlabelled MASSIVE text of 52 locales (the Z4 encoder), then the F2b fine-tuning",
        "neural_me5mlmfl6_full_5k_e1_ct",
        base="F2b",
    ),
    Stage(
        "F3",
        FULL,
        "ensemble of F1 and F2 (the intent voted, the linear CRF labels the words)",
        "ensemble_linear_me5full",
        base="F1",
        speed="ensemble_linear_me5full_speed",
    ),
    Stage(
        "F3c",
        FULL,
        "the same ensemble with F2c (the stage-2 encoder) as the me5 member; the linear member retrained "
        "by the same command (`linear_all52_rerun_20261202`)",
        "ensemble_linear_me5mlmfull",
        base="F3",
    ),
    Stage(
        "F4",
        FULL,
        "the same ensemble with the me5 member as ONNX int8",
        "ensemble_linear_me5full_int8",
        base="F3",
        speed="ensemble_linear_me5full_int8_speed",
    ),
    Stage(
        "F5",
        FULL,
        "compact linear student (gold labels, compacted: int8 CRF, 5 % of intent weights)",
        "distill_goals_full_data_ensemble#linear-compact",
        teacher="distill_goals_full_data_ensemble#teacher-ensemble-int8",
    ),
)


def _load(stem: str) -> dict[str, Any]:
    path = RESULTS / f"{stem}.json"
    if not path.is_file():
        raise SystemExit(f"recipe_stages: {path} is missing: expected a recorded result of that name")
    return json.loads(path.read_text())


def _mean(per_locale: dict[str, dict[str, float]], locales: list[str]) -> dict[str, float]:
    rows = [per_locale[l] for l in locales]
    return {k: 100 * sum(r[k] for r in rows) / len(rows) for k in ("exact_match", "intent_accuracy", "slot_micro_f1")}


def _measure(stage: Stage) -> dict[str, Any]:
    """EM / IA / F1 on the setting's locales, the size, speed, and the file the figures came from."""
    stem, _, role = stage.source.partition("#")
    r = _load(stem)
    out: dict[str, Any] = {"source": stage.source, "command": r.get("command"), "date": r.get("date")}
    if role:  # a row of a student_goals run: its own per-locale scores, speed and size
        row = r["rows"][role]
        seen = set(r["seen_locales"]) if r["seen_locales"] != ["all"] else set(row["per_locale"])
        locales = sorted(l for l in row["per_locale"] if stage.setting == FULL or l not in seen)
        out.update(_mean(row["per_locale"], locales))
        out.update(
            p50_ms=row["p50_ms"],
            p99_ms=row["p99_ms"],
            utt_per_s=row["utt_per_s"],
            size_mb=row["size_mb"],
            rss_mb=row["rss_mb"],
            dev_utterances_per_locale=row["per_locale"][locales[0]]["n"],
        )
    else:
        if r["benchmark"] == "train_neural":
            mean = r["dev_mean_unseen_locales"] if stage.setting == ZERO_SHOT else r["dev_mean_all_eval_locales"]
        else:  # train_linear, score_model
            mean = r["dev_mean"]
        out.update({k: 100 * mean[k] for k in ("exact_match", "intent_accuracy", "slot_micro_f1")})
        out["size_mb"] = r["model_bytes"] / 1e6
        if stage.speed:
            sp = _load(stage.speed)
            out.update(
                p50_ms=sp["latency_ms"]["p50"],
                p99_ms=sp["latency_ms"]["p99"],
                utt_per_s=sp["throughput_per_s"],
                rss_mb=sp.get("peak_rss_mb_serving_all_locales"),
                speed_source=stage.speed,
                size_mb=sp["size_bytes"] / 1e6,
            )  # the artifact that was timed (it may be a re-saved copy)
    out["n_locales"] = 51 if stage.setting == ZERO_SHOT else 52
    return out


def build(stages: tuple[Stage, ...] = STAGES) -> list[dict[str, Any]]:
    measured = {
        s.key: {"key": s.key, "setting": s.setting, "label": s.label, "base": s.base, **_measure(s)} for s in stages
    }
    for s in stages:
        row = measured[s.key]
        if s.base:
            row["change_em"] = row["exact_match"] - measured[s.base]["exact_match"]
        if s.teacher:
            t = _measure(Stage(s.key + "-teacher", s.setting, "", s.teacher))
            row["teacher_em_same_run"] = t["exact_match"]
            row["share_of_teacher_em"] = 100 * row["exact_match"] / t["exact_match"]
    return list(measured.values())


def _fmt(x: Any, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Which stage bought how much. Dev exact match: zero-shot, mean over the 51 locales without labels; full "
        "data, mean over all 52. 'change' is against the stage named in 'on'; a student's share is of its "
        "teacher's exact match in the same run and dev sample. Latency: one utterance, one thread; throughput: "
        "2 processes; all on 2 CPU cores, no GPU.",
        "",
        "| stage | setting | what | on | dev EM | change | IA | slot F1 | share of teacher | p50 / p99 ms | utt/s "
        "| MB | source |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        speed = f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f}" if r.get("p50_ms") is not None else "-"
        change = f"{r['change_em']:+.2f}" if "change_em" in r else ""
        share = (
            f"{r['share_of_teacher_em']:.1f} % of {r['teacher_em_same_run']:.2f}" if "share_of_teacher_em" in r else ""
        )
        lines.append(
            f"| {r['key']} | {r['setting']} | {r['label']} | {r['base'] or ''} | {r['exact_match']:.2f} | {change} | "
            f"{r['intent_accuracy']:.2f} | {r['slot_micro_f1']:.2f} | {share} | {speed} | "
            f"{_fmt(r.get('utt_per_s'), ',.0f')} | {_fmt(r.get('size_mb'), '.1f')} | `{r['source']}` |"
        )
    return lines


def main() -> int:
    rows = build()
    write_result("recipe_stages", {**header("recipe_stages"), "stages": rows}, table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
