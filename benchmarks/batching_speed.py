#!/usr/bin/env python3
"""What batching by length buys a neural model: utterances/s on one thread for requests of N dev
utterances, batched by length (the parser's behaviour) or padded as one batch per ``eval_batch_size``
(the behaviour before ``decode.length_batches`` had a length bound; reproduced with slack=inf).

    python benchmarks/batching_speed.py --model models/student_zs_d256l4_int8 --model models/student_zs_d128l2_int8
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread: the comparison is per core

import argparse
import functools
import sys
import time

from results_io import header, write_result

from kiloglot.data import parse_locales, read_massive
from kiloglot.learn.unlabeled import sample_per_locale
from kiloglot.nlu import load
from kiloglot.nlu.neural import decode


def throughput(model, by_locale: dict[str, list[str]], request: int) -> float:
    n, t0 = 0, time.perf_counter()
    for locale, texts in by_locale.items():
        for b in range(0, len(texts), request):
            n += len(model.parse(texts[b : b + request], locale))
    return n / (time.perf_counter() - t0)


_LENGTH_BATCHES = decode.length_batches


def use_slack(slack: float) -> None:
    """Point the neural runtimes' shared parsing loop at length_batches with this slack."""
    decode.length_batches = functools.partial(_LENGTH_BATCHES, slack=slack)  # type: ignore[assignment]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--model", action="append", required=True, help="a neural model directory (PyTorch or ONNX); repeat"
    )
    ap.add_argument("--locales", default="en-US,de-DE,ja-JP,ar-SA")
    ap.add_argument("--per-locale", type=int, default=100, help="seeded random dev utterances per locale")
    ap.add_argument("--requests", default="1,8,64", help="utterances per parse call")
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default="batching_speed")
    args = ap.parse_args()
    dev = sample_per_locale(read_massive(args.data, parse_locales(args.locales), ["dev"]), args.per_locale, 1)
    by_locale: dict[str, list[str]] = {}
    for e in dev:
        by_locale.setdefault(e.locale, []).append(e.text)
    sizes = [int(x) for x in args.requests.split(",")]
    rows = []
    for path in args.model:
        model = load(path)
        throughput(model, by_locale, 64)  # warm-up
        for size in sizes:
            use_slack(float("inf"))
            before = throughput(model, by_locale, size)
            use_slack(1.25)
            after = throughput(model, by_locale, size)
            rows.append(
                {"model": path, "request": size, "one_padded_batch_per_s": before, "length_batches_per_s": after}
            )
            print(f"{path} request {size}: {before:,.0f} -> {after:,.0f} utt/s", flush=True)
    result = {
        **header("batching_speed"),
        "threads": 1,
        "locales": sorted(by_locale),
        "utterances": len(dev),
        "rows": rows,
    }
    table = [
        "| model | utterances per request | one padded batch (utt/s) | batched by length (utt/s) | speed-up |",
        "|---|---:|---:|---:|---:|",
    ]
    table += [
        f"| {r['model']} | {r['request']} | {r['one_padded_batch_per_s']:,.0f} | {r['length_batches_per_s']:,.0f} | "
        f"{r['length_batches_per_s'] / r['one_padded_batch_per_s']:.2f}x |"
        for r in rows
    ]
    write_result(args.name, result, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
