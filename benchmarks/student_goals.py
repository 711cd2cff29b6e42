#!/usr/bin/env python3
"""Teachers, students and the linear parser side by side, in one run on one machine (issue 4's goals).

For every model: MASSIVE dev exact match / intent accuracy / slot F1 (mean over all 52 locales, and
over the locales that had no labels in training), one-utterance latency p50/p99 on one thread,
throughput on all cores, size on disk and peak RSS (both from benchmarks/speed_parser.py, run as a
subprocess so each model is measured in fresh processes). Then the goals, each marked met or not.

    python benchmarks/student_goals.py --name distill_goals \
        --model teacher=models/neural_me5_zeroshot_crf_fl6 --model student=models/student_zs \
        --model student-int8=models/student_zs_int8 --model scratch=models/neural_scratch_zeroshot \
        --model linear=models/linear-all --teacher teacher --zero-shot-baseline scratch --seen en-US
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from results_io import RESULTS, header, write_result

HERE = Path(__file__).resolve().parent


def evaluate(model_dir: str, dev: list, locales: list[str]) -> dict:
    from kiloglot.evaluation import build_report
    from kiloglot.nlu import load

    parser = load(model_dir)
    by_locale: dict[str, list] = {}
    for ex in dev:
        by_locale.setdefault(ex.locale, []).append(ex)
    ordered, parses = [], []
    t0 = time.perf_counter()
    for loc in locales:
        group = by_locale.get(loc, [])
        for i in range(0, len(group), 256):
            batch = group[i : i + 256]
            parses.extend(parser.parse([e.text for e in batch], loc))
            ordered.extend(batch)
    secs = time.perf_counter() - t0
    report = build_report(ordered, parses)
    return {
        "per_locale": {k: v.as_dict() for k, v in report.per_locale.items()},
        "mean": report.mean.as_dict(),
        "eval_seconds": round(secs, 1),
    }


def mean_over(per_locale: dict, locales: list[str], key: str) -> float | None:
    """Mean in percent; None when no locale is in the group (e.g. no unseen locale in the full-data setting)."""
    vals = [per_locale[l][key] for l in locales if l in per_locale]
    return 100 * sum(vals) / len(vals) if vals else None


def cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def speed(model_dir: str, name: str, per_locale: int, locales: str) -> dict:
    cmd = [
        sys.executable,
        str(HERE / "speed_parser.py"),
        "--model",
        model_dir,
        "--name",
        name,
        "--per-locale",
        str(per_locale),
        "--locales",
        locales,
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", required=True, help="LABEL=DIR (repeat)")
    ap.add_argument("--teacher", action="append", default=[], help="LABEL of a teacher; students are compared with it")
    ap.add_argument(
        "--student-of",
        action="append",
        default=[],
        help="STUDENT=TEACHER pairs (default: every non-teacher of the first teacher; "
        "'none': no pairs, e.g. models trained on gold labels beside a teacher)",
    )
    ap.add_argument("--zero-shot-baseline", default=None, help="LABEL of the scratch zero-shot model")
    ap.add_argument(
        "--seen",
        default="en-US",
        help="locales with gold labels in training (the rest are 'unseen'); 'all' for the full-data setting",
    )
    ap.add_argument("--name", default="distill_goals")
    ap.add_argument("--data", default=None)
    ap.add_argument("--speed-per-locale", type=int, default=40)
    ap.add_argument(
        "--dev-per-locale",
        type=int,
        default=0,
        help="score a seeded random sample of N dev utterances per locale (0: all)",
    )
    args = ap.parse_args()

    from kiloglot.data import ALL_LOCALES, read_massive

    models = dict(m.split("=", 1) for m in args.model)
    locales = list(ALL_LOCALES)
    seen = locales if args.seen == "all" else args.seen.split(",")
    unseen = [l for l in locales if l not in seen]
    dev = read_massive(args.data, locales, ["dev"])
    if args.dev_per_locale:  # a seeded random sample per locale (the dev files are ordered, so not the first N)
        import random

        by_locale: dict[str, list] = {}
        for e in dev:
            by_locale.setdefault(e.locale, []).append(e)
        rng = random.Random(13)
        dev = [
            e
            for loc in locales
            for e in sorted(
                rng.sample(by_locale[loc], min(args.dev_per_locale, len(by_locale[loc]))), key=lambda x: int(x.id)
            )
        ]
    rows = {}
    for label, path in models.items():
        print(f"{label}: evaluating {path}", flush=True)
        ev = evaluate(path, dev, locales)
        print(f"{label}: speed", flush=True)
        sp = speed(path, f"{args.name}_{label}_speed", args.speed_per_locale, ",".join(locales))
        pl = ev["per_locale"]
        rows[label] = {
            "model": path,
            "em": mean_over(pl, locales, "exact_match"),
            "ia": mean_over(pl, locales, "intent_accuracy"),
            "f1": mean_over(pl, locales, "slot_micro_f1"),
            "em_unseen": mean_over(pl, unseen, "exact_match"),
            "em_seen": mean_over(pl, seen, "exact_match"),
            "p50_ms": sp["latency_ms"]["p50"],
            "p99_ms": sp["latency_ms"]["p99"],
            "utt_per_s": sp["throughput_per_s"],
            "size_mb": sp["size_bytes"] / 1e6,
            "rss_mb": sp["peak_rss_mb_serving_all_locales"],
            "eval_seconds": ev["eval_seconds"],
            "per_locale": pl,
        }
        print(
            f"{label}: EM {rows[label]['em']:.2f} (unseen {cell(rows[label]['em_unseen'])}), "
            f"p50 {rows[label]['p50_ms']:.2f} ms",
            flush=True,
        )
    if args.student_of == ["none"]:  # models side by side, none of them distilled from a teacher here
        pairs = {}
    elif args.student_of:
        pairs = dict(p.split("=", 1) for p in args.student_of)
    else:
        pairs = (
            {k: args.teacher[0] for k in models if k not in args.teacher and k != args.zero_shot_baseline}
            if args.teacher
            else {}
        )
    goals = []
    for student, teacher in pairs.items():
        s, t = rows[student], rows[teacher]
        goals.append(
            {
                "goal": f"{student} keeps >= 97% of {teacher}'s dev EM",
                "value": 100 * s["em"] / t["em"],
                "met": s["em"] >= 0.97 * t["em"],
            }
        )
    for label, r in rows.items():
        if label in args.teacher:
            continue
        goals += [
            {"goal": f"{label}: p50 <= 1 ms (one thread)", "value": r["p50_ms"], "met": r["p50_ms"] <= 1.0},
            {"goal": f"{label}: >= 5,000 utt/s (all cores)", "value": r["utt_per_s"], "met": r["utt_per_s"] >= 5000},
            {"goal": f"{label}: <= 25 MB on disk (52 locales)", "value": r["size_mb"], "met": r["size_mb"] <= 25},
            {"goal": f"{label}: peak RSS <= 300 MB", "value": r["rss_mb"], "met": r["rss_mb"] <= 300},
        ]
    if args.zero_shot_baseline and unseen:
        base = rows[args.zero_shot_baseline]
        for label in pairs:
            goals.append(
                {
                    "goal": f"{label} vs {args.zero_shot_baseline}: unseen-locale dev EM gain (points)",
                    "value": rows[label]["em_unseen"] - base["em_unseen"],
                    "met": rows[label]["em_unseen"] >= base["em_unseen"] + 10,
                }
            )
    result = {
        **header("student_goals"),
        "seen_locales": seen,
        "dev_utterances": len(dev),
        "rows": rows,
        "goals": goals,
    }
    lines = [
        f"| model | role | dev EM ({len(locales)}) | EM unseen ({len(unseen)}) | EM seen ({len(seen)}) | IA "
        "| slot F1 | p50 ms | p99 ms | utt/s | size MB | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in rows.items():
        role = (
            "teacher"
            if label in args.teacher
            else (
                "baseline"
                if label == args.zero_shot_baseline
                else f"student of {pairs[label]}"
                if label in pairs
                else ""
            )
        )
        lines.append(
            f"| {label} (`{r['model']}`) | {role} | {r['em']:.2f} | {cell(r['em_unseen'])} | {cell(r['em_seen'])} | "
            f"{r['ia']:.2f} | {r['f1']:.2f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['utt_per_s']:,.0f} | "
            f"{r['size_mb']:.1f} | {r['rss_mb']:.0f} |"
        )
    lines += ["", "| goal | value | met |", "|---|---:|---|"]
    lines += [f"| {g['goal']} | {g['value']:.2f} | {'yes' if g['met'] else 'no'} |" for g in goals]
    write_result(args.name, result, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
