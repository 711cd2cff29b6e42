"""Which intent weights should an ensemble use? Dev scores of an ensemble of two models for a grid of
the first model's weight (the second gets the rest), per locale and mean. Each member parses the dev
set once; every weighting is then scored on those parses (``EnsembleParser.combine``).

    python benchmarks/ensemble_weights.py --member models/linear-all-compressed \
        --member models/neural_me5_full_5k_e1_content --locales en-US,de-DE,ja-JP,ar-SA

Writes benchmarks/results/<name>.json and .md. Weight 1 is the first model alone (its own slots),
weight 0 the second model's intents with the slot member's slots.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from results_io import header, run_timed, write_result

from kiloglot.data import MassiveReader, resolve_massive_source
from kiloglot.evaluation import build_report
from kiloglot.nlu.ensemble import EnsembleParser


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--member", action="append", required=True, help="model folder (give exactly two)")
    ap.add_argument("--slot-member", type=int, default=0)
    ap.add_argument("--grid", default="1.0,0.8,0.7,0.6,0.5,0.4,0.3,0.2,0.0", help="weights of the first member")
    ap.add_argument("--locales", default="en-US,de-DE,ja-JP,ar-SA")
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default="ensemble_weights")
    args = ap.parse_args()
    if len(args.member) != 2:
        raise SystemExit(f"{len(args.member)} --member given: expected exactly two models")
    grid = [float(x) for x in args.grid.split(",")]
    if any(not 0 <= w <= 1 for w in grid):
        raise SystemExit(f"--grid {args.grid}: expected weights between 0 and 1")
    locales = args.locales.split(",")
    dev = MassiveReader(resolve_massive_source(args.data), locales, ["dev"]).read()
    ens = EnsembleParser.from_paths(args.member, slot_member=args.slot_member)

    member_parses: dict[str, list] = {}
    seconds = [0.0] * len(ens.members)
    for locale in locales:
        texts = [e.text for e in dev if e.locale == locale]
        parses = []
        for i, m in enumerate(ens.members):
            t0 = time.perf_counter()
            parses.append(m.parse(texts, locale))
            seconds[i] += time.perf_counter() - t0
        member_parses[locale] = parses

    rows = []
    for w in grid:
        ens.weights = [w, 1.0 - w]
        parses = []
        for locale in locales:
            texts = [e.text for e in dev if e.locale == locale]
            parses += ens.combine(texts, locale, member_parses[locale])
        ordered = [e for locale in locales for e in dev if e.locale == locale]
        report = build_report(ordered, parses)
        row = {
            "first_weight": w,
            "mean": {k: 100 * getattr(report.mean, k) for k in ("exact_match", "intent_accuracy", "slot_micro_f1")},
            "per_locale": {l: 100 * s.exact_match for l, s in report.per_locale.items()},
        }
        rows.append(row)
        print(json.dumps(row), flush=True)

    result = {
        **header("ensemble_weights"),
        "members": args.member,
        "slot_member": args.slot_member,
        "locales": locales,
        "member_parse_seconds": [round(s, 1) for s in seconds],
        "rows": rows,
    }
    head = "| weight of " + Path(args.member[0]).name + " | EM | IA | slot F1 | " + " | ".join(locales) + " |"
    lines = [head, "|" + "---:|" * (4 + len(locales))]
    lines += [
        f"| {r['first_weight']:.2f} | {r['mean']['exact_match']:.2f} | {r['mean']['intent_accuracy']:.2f} | "
        f"{r['mean']['slot_micro_f1']:.2f} | " + " | ".join(f"{r['per_locale'][l]:.2f}" for l in locales) + " |"
        for r in rows
    ]
    write_result(args.name, result, lines)
    return 0


if __name__ == "__main__":
    run_timed(main)
