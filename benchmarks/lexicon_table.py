#!/usr/bin/env python3
"""The per-locale table of languages-without-labels: every MASSIVE locale but en-US, with only en-US labels
and a bilingual lexicon (no target text, no target labels), on MASSIVE dev.

Columns: the lexicon's size and its coverage of the en-US training tokens; the zero-shot baseline (the
en-US-only neural model, me5-small, ``content`` alignment); the linear parser on lexicon-translated data
(``lexicon_linear``); with UniMorph forms where UniMorph has the language (``lexicon_linear_unimorph``);
the neural model on en-US plus lexicon data (``--neural NAME``, a ``train_neural.py --lexicons`` run, when
there is one); and a compact student of the lexicon linear model (intent weights pruned to
``--intent-density``, the CRF as int8 weights), scored here, with its size beside the teacher's.

    python benchmarks/lexicon_table.py --model models/lexicon-linear-51 --neural neural_me5_lexicon500 \
        --name lexicon_table
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from results_io import emit, header, load_result, run_timed

from kiloglot.data import read_massive
from kiloglot.evaluation import evaluate
from kiloglot.nlu import load

BASELINE = "neural_me5_zeroshot_crf_fl6_content_dev"


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the saved lexicon linear model (lexicon_transfer.py --save)")
    ap.add_argument("--linear", default="lexicon_linear")
    ap.add_argument("--unimorph", default="lexicon_linear_unimorph")
    ap.add_argument(
        "--neural",
        action="append",
        default=[],
        help="result name of a neural lexicon run (train_neural.py --lexicons, or an ensemble of them scored "
        "by score_model.py); repeatable: each run's mean is kept, the last fills the column",
    )
    ap.add_argument("--intent-density", type=float, default=0.1)
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    baseline = load_result(BASELINE)
    linear = load_result(args.linear)
    unimorph = load_result(args.unimorph) or {"locales": {}}
    runs = {name: load_result(f"{name}_dev") for name in args.neural}
    absent = [name for name, run in runs.items() if run is None]
    if absent:
        raise SystemExit(f"no benchmarks/results/{absent[0]}_dev.json: run train_neural.py or score_model.py first")
    neural = runs[args.neural[-1]] if args.neural else None
    if baseline is None or linear is None:
        raise SystemExit(f"needs benchmarks/results/{BASELINE}.json and {args.linear}.json")
    targets = list(linear["targets"])
    teacher = load(args.model)
    student = teacher.compacted(intent_density=args.intent_density, compact_slots=True)
    with tempfile.TemporaryDirectory() as tmp:
        student.save(Path(tmp) / "student")
        student_bytes = size(Path(tmp) / "student")
    teacher_bytes = size(Path(args.model))
    dev = read_massive(args.data, targets, ["dev"])
    scores = evaluate(student, dev, locales=targets).report.per_locale
    rows, locales = [], {}
    for loc in targets:
        lin = linear["locales"][loc]
        base = 100 * baseline["per_locale"][loc]["exact_match"]
        um = unimorph["locales"].get(loc, {}).get("exact_match")
        neu = 100 * neural["per_locale"][loc]["exact_match"] if neural and loc in neural["per_locale"] else None
        stu = 100 * scores[loc].exact_match
        locales[loc] = {"lexicon_pairs": lin["lexicon_pairs"], "coverage": lin["coverage"], "baseline": round(base, 2),
                        "lexicon_linear": lin["exact_match"], "lexicon_linear_unimorph": um,
                        "lexicon_neural": round(neu, 2) if neu is not None else None,
                        "student": round(stu, 2)}  # fmt: skip
        cells = [f"{x:.1f}" if x is not None else "-" for x in (base, lin["exact_match"], um, neu, stu)]
        rows.append(f"| {loc} | {lin['lexicon_pairs']:,} | {lin['coverage']:.1f} | " + " | ".join(cells) + " |")

    def mean(key: str) -> float | None:
        values = [v[key] for v in locales.values() if v[key] is not None]
        return round(sum(values) / len(values), 2) if len(values) == len(locales) else None

    best = {
        loc: max(x for x in (v["lexicon_linear"], v["lexicon_neural"]) if x is not None) for loc, v in locales.items()
    }
    summary = {
        "locales": len(targets),
        "mean_baseline": mean("baseline"),
        "mean_lexicon_linear": mean("lexicon_linear"),
        "mean_lexicon_neural": mean("lexicon_neural"),
        "mean_student": mean("student"),
        "gains_over_baseline_best": sum(best[loc] > v["baseline"] for loc, v in locales.items()),
        "neural_runs": {
            name: {
                "mean": round(sum(100 * run["per_locale"][loc]["exact_match"] for loc in targets) / len(targets), 2),
                "gains_over_baseline": sum(
                    100 * run["per_locale"][loc]["exact_match"] > locales[loc]["baseline"] for loc in targets
                ),
            }
            for name, run in runs.items()
            if run is not None
        },
        "mean_best": round(sum(best.values()) / len(best), 2),
        "student_share_of_teacher": round(mean("student") / mean("lexicon_linear"), 4),  # type: ignore[operator]
        "teacher_bytes": teacher_bytes,
        "student_bytes": student_bytes,
        "student_intent_density": args.intent_density,
        "unimorph_locales": {
            loc: {"lexicon": v["lexicon_linear"], "unimorph": v["lexicon_linear_unimorph"]}
            for loc, v in locales.items()
            if v["lexicon_linear_unimorph"] is not None
        },
    }
    result = {**header("lexicon_table"), "summary": summary, "locales": locales}
    fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    table = [
        f"Languages as if unlabelled: en-US labels + a lexicon, MASSIVE dev EM over {len(targets)} locales. "
        f"Means: zero-shot baseline {fmt(summary['mean_baseline'])}, lexicon linear "
        f"{fmt(summary['mean_lexicon_linear'])}, lexicon neural {fmt(summary['mean_lexicon_neural'])}, compact "
        f"student {fmt(summary['mean_student'])} ({100 * summary['student_share_of_teacher']:.1f} % of its teacher, "
        f"{student_bytes / 1e6:.0f} MB vs {teacher_bytes / 1e6:.0f} MB); the best lexicon model beats the "
        f"baseline in {summary['gains_over_baseline_best']} of {len(targets)}"
        + "".join(
            f"; {name}: {v['mean']:.2f}, above the baseline in {v['gains_over_baseline']}"
            for name, v in summary["neural_runs"].items()
        )
        + ".",
        "",
        "| locale | lexicon pairs | coverage % | zero-shot baseline | lexicon linear | + UniMorph | lexicon neural "
        "| compact student |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    emit(args.name, result, table)
    return 0


if __name__ == "__main__":
    run_timed(main)
