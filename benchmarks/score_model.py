"""Score any saved kiloglot model (linear, neural, ONNX, ensemble) on MASSIVE dev and record it.

    python benchmarks/score_model.py --model models/ens_linear_me5full --name ensemble_linear_me5full \
        --held-out-of en-US,de-DE,ja-JP,ar-SA

Writes benchmarks/results/<name>.json (command, date, machine, the model's kind, options and size,
the dev means) and <name>_dev.{json,md,png} (the per-locale report). With --held-out-of, the mean
over the evaluated locales *not* in that list is recorded too: the locales on which nothing about
the model was chosen (e.g. ensemble weights picked on a few dev locales).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from results_io import RESULTS, header, write_result

from kiloglot.data import parse_locales, read_massive
from kiloglot.evaluation import build_report, mean_scores
from kiloglot.nlu import load, read_manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--locales", default=None, help="default: the model's locales")
    ap.add_argument("--held-out-of", default=None, help="locales used to choose something about the model")
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    manifest = read_manifest(args.model)
    locales = parse_locales(args.locales) if args.locales else list(manifest["locales"])
    model = load(args.model)
    dev = read_massive(args.data, locales, ["dev"])
    t0 = time.perf_counter()
    parses = model.parse_examples(dev)
    seconds = time.perf_counter() - t0
    report = build_report(dev, parses, {"title": f"{args.name}: MASSIVE dev exact match", "model": args.model})
    report.write(RESULTS / f"{args.name}_dev.json")
    held_out = None
    if args.held_out_of:
        chosen = set(parse_locales(args.held_out_of))
        rest = [l for l in locales if l not in chosen]
        held_out = {
            "locales_used_for_choices": sorted(chosen),
            "n_locales": len(rest),
            "mean": mean_scores([report.per_locale[l] for l in rest]).as_dict() if rest else None,
        }
    result = {
        **header("score_model"),
        "model_dir": args.model,
        "kind": manifest["kind"],
        "options": manifest.get("options", {}),
        "members": manifest.get("members"),
        "member_kinds": manifest.get("member_kinds"),
        "model_bytes": sum(f.stat().st_size for f in Path(args.model).rglob("*") if f.is_file()),
        "eval_locales": locales,
        "eval_parse_seconds": round(seconds, 1),
        "eval_utterances_per_s": len(dev) / seconds,
        "dev_mean": report.mean.as_dict(),
        "dev_mean_held_out": held_out,
    }
    write_result(args.name, result)
    m = report.mean
    print(
        f"{args.name}: dev mean over {len(locales)} locales EM {100 * m.exact_match:.2f} "
        f"IA {100 * m.intent_accuracy:.2f} F1 {100 * m.slot_micro_f1:.2f} ({len(dev) / seconds:,.0f} utt/s)"
        + (
            f"; the {held_out['n_locales']} other locales EM {100 * held_out['mean']['exact_match']:.2f}"
            if held_out and held_out["mean"]
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
