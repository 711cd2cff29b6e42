#!/usr/bin/env python3
"""Benchmark: train the linear parser on MASSIVE train (default: all 52 locales), evaluate on dev.

Writes benchmarks/results/<name>.json (timings, machine, command, dev metrics) and the dev report
(<name>_dev.json/.md/.png), and keeps the model in --out for the latency benchmark.

    python benchmarks/train_linear.py --locales all --out models/linear-all --name linear_all52
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from results_io import RESULTS, header, write_result

from kiloglot.data import parse_locales, read_massive
from kiloglot.evaluation import build_report
from kiloglot.nlu import load, registry
from kiloglot.options import parse_assignments


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--locales", default="all")
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", default="models/linear-all")
    ap.add_argument("--name", default="linear_all52")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--crf-iterations", type=int, default=100)
    ap.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        help="KEY=VALUE linear option, e.g. -o crf_c1=1.0 -o intent_density=0.03 (a compact model)",
    )
    args = ap.parse_args()
    locales = parse_locales(args.locales)
    t0 = time.perf_counter()
    data = read_massive(args.data, locales, ["train", "dev"])
    t_read = time.perf_counter() - t0
    train = [e for e in data if e.partition == "train"]
    dev = [e for e in data if e.partition == "dev"]
    options = {"crf_iterations": args.crf_iterations, **parse_assignments(args.option)}
    parser = registry.create("linear", jobs=args.jobs, **options)
    done = []

    def progress(locale: str, secs: float) -> None:
        done.append(locale)
        print(
            f"[{time.perf_counter() - t0:7.1f}s] {len(done)}/{len(locales)} {locale} trained in {secs:.1f}s", flush=True
        )

    t1 = time.perf_counter()
    parser.fit(train, dev, progress=progress)
    t_fit = time.perf_counter() - t1
    parser.save(args.out)
    t_total_train = time.perf_counter() - t0
    model = load(args.out)
    t2 = time.perf_counter()
    parses = model.parse_examples(dev)
    t_eval = time.perf_counter() - t2
    report = build_report(dev, parses, {"title": f"linear parser, MASSIVE dev, {len(locales)} locales"})
    report.write(RESULTS / f"{args.name}_dev.json")
    size = sum(f.stat().st_size for f in Path(args.out).rglob("*") if f.is_file())
    result = {
        **header("train_linear"),
        "locales": locales,
        "options": {k: v for k, v in parser.get_params().items() if k != "jobs"},
        "train_examples": len(train),
        "dev_examples": len(dev),
        "seconds": {"read_data": t_read, "fit": t_fit, "read_fit_save": t_total_train, "dev_parse": t_eval},
        "per_locale_train_seconds": parser.train_seconds,
        "model_dir": args.out,
        "model_bytes": size,
        "dev_mean": report.mean.as_dict(),
        "dev_worst5": {k: v.as_dict() for k, v in report.worst(5)},
    }
    write_result(args.name, result)
    m = report.mean
    print(
        f"dev mean over {len(locales)} locales: EM {100 * m.exact_match:.2f} IA {100 * m.intent_accuracy:.2f} "
        f"F1 {100 * m.slot_micro_f1:.2f}; train wall {t_total_train / 60:.1f} min; size {size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
