"""How small can the linear parser get? Dev scores and bytes on disk per locale for CRF L1 strengths
(``crf_c1``) and fractions of intent weights kept (``intent_density``), trained as a distilled student:
the gold labels of the labelled locales plus a teacher's labels (read from a ``kiloglot distill
--targets-cache`` file) of the unlabelled utterances of the others.

    python benchmarks/linear_compaction.py --teacher models/student_zs_me5_self \
        --targets-cache runs/distill/zs_me5_self_4000.npz --locales en-US,de-DE,ja-JP,th-TH

Writes benchmarks/results/<name>.json and .md. Scores are on each locale's full dev partition
(gold labels); size is what the saved locale folder holds (compressed layout).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from results_io import header, run_timed, write_result

from kiloglot.data import MassiveReader, resolve_massive_source
from kiloglot.evaluation import build_report
from kiloglot.learn.distill import TargetsCache, pseudo_examples
from kiloglot.learn.unlabeled import read_unlabeled
from kiloglot.nlu.linear import LinearParser


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--teacher", required=True, help="the teacher model folder the targets cache was written for")
    ap.add_argument("--targets-cache", required=True, help="kiloglot distill --targets-cache file of that teacher")
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--locales", default="en-US,de-DE,ja-JP,th-TH")
    ap.add_argument("--labeled-locales", default="en-US", help="locales trained on gold labels")
    ap.add_argument("--crf-c1", default="0.05,0.3,0.5,1.0")
    ap.add_argument("--density", default="1.0,0.2,0.05,0.02")
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default="linear_compaction")
    args = ap.parse_args()
    locales = args.locales.split(",")
    gold_locales = set(args.labeled_locales.split(",")) if args.labeled_locales else set()
    c1s = [float(x) for x in args.crf_c1.split(",")]
    densities = [float(x) for x in args.density.split(",")]

    examples = MassiveReader(resolve_massive_source(args.data), locales, ["train", "dev"]).read()
    gold = [e for e in examples if e.partition == "train" and e.locale in gold_locales]
    dev = [e for e in examples if e.partition == "dev"]
    # The utterances the teacher labelled: every cached one of these locales without gold labels.
    with np.load(args.targets_cache, allow_pickle=False) as z:
        cached = {tuple(k) for k in json.loads(str(z["texts"]))}
    have_gold = {(e.locale, e.text) for e in gold}
    unlabelled = [
        u
        for u in read_unlabeled("massive:train", [l for l in locales if l not in gold_locales], data=args.data)
        if (u.locale, u.text) in cached and (u.locale, u.text) not in have_gold
    ]
    targets, missing = TargetsCache(Path(args.targets_cache), Path(args.teacher), args.temperature).get(unlabelled)
    if targets is None or missing:
        raise SystemExit(
            f"{args.targets_cache}: no targets for {len(missing) if targets is not None else 'any'} utterances"
        )
    pseudo = pseudo_examples(unlabelled, targets)

    rows = []
    for locale in locales:
        train = [e for e in gold if e.locale == locale] + [p for p in pseudo if p.locale == locale]
        ldev = [e for e in dev if e.locale == locale]
        for c1 in c1s:
            t0 = time.perf_counter()
            full = LinearParser(jobs=1, crf_c1=c1).fit(train, ldev)
            secs = time.perf_counter() - t0
            for density in densities:
                parser = full.compacted(intent_density=density)
                with tempfile.TemporaryDirectory() as tmp:
                    parser.save(Path(tmp) / "model")
                    size = folder_bytes(Path(tmp) / "model" / "locales" / locale)
                s = build_report(ldev, parser.parse_examples(ldev)).per_locale[locale]
                row = {
                    "locale": locale,
                    "labels": "gold" if locale in gold_locales else "teacher",
                    "crf_c1": c1,
                    "intent_density": density,
                    "exact_match": 100 * s.exact_match,
                    "intent_accuracy": 100 * s.intent_accuracy,
                    "slot_micro_f1": 100 * s.slot_micro_f1,
                    "bytes": size,
                    "train_utterances": len(train),
                    "fit_seconds": round(secs, 1),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)

    result = {**header("linear_compaction"), "teacher": args.teacher, "rows": rows}
    lines = [
        "| locale (labels) | crf_c1 | intent_density | EM | IA | slot F1 | KB on disk |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['locale']} ({r['labels']}) | {r['crf_c1']} | {r['intent_density']} | {r['exact_match']:.2f} | "
        f"{r['intent_accuracy']:.2f} | {r['slot_micro_f1']:.2f} | {r['bytes'] / 1024:,.0f} |"
        for r in rows
    ]
    write_result(args.name, result, lines)
    return 0


if __name__ == "__main__":
    run_timed(main)
