#!/usr/bin/env python3
"""Benchmark any kiloglot model: one-utterance latency (one thread), throughput (all cores), size, peak RSS.

Uses MASSIVE dev utterances of every locale in the model (--per-locale of each). Latency is
measured one `parse([text], locale)` call at a time after each locale was loaded once; throughput
runs one worker process per core over the same utterances in batches; RSS is the peak resident
memory of the benchmark process after parsing all the model's locales (it also holds the data it
read), of a fresh process that only loaded the model and parsed all its locales (serving), and
of one that parsed only en-US.

    python benchmarks/speed_parser.py --model models/linear-all --name linear_all52_speed
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per process: latency is single-threaded by definition

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

from results_io import header, write_result


def _utterances(model_dir: str, per_locale: int, data: str | None, locales_spec: str | None) -> list[tuple[str, str]]:
    from kiloglot.data import parse_locales, read_massive
    from kiloglot.nlu import read_manifest

    locales = parse_locales(locales_spec) if locales_spec else read_manifest(model_dir)["locales"]
    picked: dict[str, list[str]] = {}
    for ex in read_massive(data, locales, ["dev"]):
        if len(picked.setdefault(ex.locale, [])) < per_locale:
            picked[ex.locale].append(ex.text)
    return [(loc, t) for loc in locales for t in picked.get(loc, [])]


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the current address space; getrusage's
    ru_maxrss survives exec, so a spawned child would report at least its parent's size at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _throughput_worker(args: tuple[str, list[tuple[str, str]], int]) -> tuple[int, float]:
    model_dir, items, batch = args
    from kiloglot.nlu import load

    parser = load(model_dir)
    by_locale: dict[str, list[str]] = {}
    for loc, t in items:
        by_locale.setdefault(loc, []).append(t)
    for loc, texts in by_locale.items():  # load every locale before timing
        parser.parse(texts[:1], loc)
    t0 = time.perf_counter()
    n = 0
    for loc, texts in by_locale.items():
        for i in range(0, len(texts), batch):
            n += len(parser.parse(texts[i : i + batch], loc))
    return n, time.perf_counter() - t0


def _rss_one_locale(model_dir: str, q: mp.Queue[float]) -> None:
    from kiloglot.nlu import load

    parser = load(model_dir)
    parser.parse(["wake me up at seven"], parser.locales[0] if "en-US" not in parser.locales else "en-US")
    q.put(_peak_rss_mb())


def _rss_serving(model_dir: str, items: list[tuple[str, str]], q: mp.Queue[float]) -> None:
    """Peak RSS of a fresh process that only loads the model and parses utterances of all its locales
    (the benchmark's own process also holds the MASSIVE data it read)."""
    from kiloglot.nlu import load

    parser = load(model_dir)
    by_locale: dict[str, list[str]] = {}
    for loc, t in items:
        by_locale.setdefault(loc, []).append(t)
    for loc, texts in by_locale.items():
        for i in range(0, len(texts), 64):
            parser.parse(texts[i : i + 64], loc)
    q.put(_peak_rss_mb())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/linear-all")
    ap.add_argument("--name", default="linear_all52_speed")
    ap.add_argument("--data", default=None)
    ap.add_argument("--per-locale", type=int, default=200)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument(
        "--locales", default=None, help="utterances of these locales (default: the model's training locales)"
    )
    args = ap.parse_args()

    from kiloglot.nlu import load

    items = _utterances(args.model, args.per_locale, args.data, args.locales)
    ctx = mp.get_context("spawn")  # fresh processes: RSS and timings are not inherited
    q: mp.Queue[float] = ctx.Queue()
    p = ctx.Process(target=_rss_one_locale, args=(args.model, q))
    p.start()
    rss_one = q.get()
    p.join()
    p = ctx.Process(target=_rss_serving, args=(args.model, items, q))
    p.start()
    rss_serving = q.get()
    p.join()

    t0 = time.perf_counter()
    parser = load(args.model)
    t_open = time.perf_counter() - t0
    load_times = {}
    for loc in sorted({loc for loc, _ in items}):
        t = time.perf_counter()
        parser.parse(["x"], loc)
        load_times[loc] = time.perf_counter() - t
    lat = []
    for loc, text in items:
        t = time.perf_counter_ns()
        parser.parse([text], loc)
        lat.append((time.perf_counter_ns() - t) / 1e6)
    rss_all = _peak_rss_mb()

    shares = [items[i :: args.workers] for i in range(args.workers)]
    with ctx.Pool(args.workers) as pool:
        t = time.perf_counter()
        parts = pool.map(_throughput_worker, [(args.model, s, args.batch) for s in shares])
        wall_outer = time.perf_counter() - t
    n = sum(c for c, _ in parts)
    busiest = max(s for _, s in parts)
    lat_sorted = sorted(lat)
    size = sum(f.stat().st_size for f in Path(args.model).rglob("*") if f.is_file())
    result = {
        **header("speed_parser"),
        "model": args.model,
        "locales": len({loc for loc, _ in items}),
        "utterances": len(items),
        "latency_ms": {
            "p50": lat_sorted[len(lat) // 2],
            "p90": lat_sorted[int(len(lat) * 0.9)],
            "p99": lat_sorted[int(len(lat) * 0.99)],
            "mean": statistics.fmean(lat),
            "max": lat_sorted[-1],
        },
        "throughput_per_s": n / busiest,
        "throughput_workers": args.workers,
        "throughput_batch": args.batch,
        "throughput_wall_with_model_loading_s": wall_outer,
        "open_model_s": t_open,
        "first_parse_per_locale_s": {"mean": statistics.fmean(load_times.values()), "max": max(load_times.values())},
        "size_bytes": size,
        "peak_rss_mb_all_locales": rss_all,
        "peak_rss_mb_one_locale": rss_one,
        "peak_rss_mb_serving_all_locales": rss_serving,
    }
    lm = result["latency_ms"]
    table = [
        f"| model | locales | p50 ms | p99 ms | utt/s ({args.workers} procs) | size MB "
        "| peak RSS MB (all / one locale) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| {args.model} | {result['locales']} | {lm['p50']:.2f} | {lm['p99']:.2f} "
        f"| {result['throughput_per_s']:,.0f} | {size / 1e6:.0f} | {rss_all:.0f} / {rss_one:.0f} |",
    ]
    write_result(args.name, result, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
