#!/usr/bin/env python3
"""What stage-2 (in-domain) pretraining buys: the same encoder fine-tuned with and without it.

1. `kiloglot pretrain`-equivalent: masked-LM on MASSIVE's unlabelled train text of all locales
   (--per-locale utterances of each; no labels are read).
2. benchmarks/train_neural.py twice per setting, with the pretrained folder and with the plain
   encoder, same architecture, options and seed; dev exact match per locale and mean.
Settings: zero-shot (labels of en-US only; the unlabelled text of other locales is used in step 1)
and/or full data (labels of all 52 locales). Writes results/<name>.json and .md.

    python benchmarks/pretrain_effect.py --name pretrain_effect_scratch_d128 --settings zeroshot,full \
        -o dim=128 -o layers=2 -o heads=4 -o ff=512 -o vocab_size=16000 --per-locale 2000 --full-per-locale 2000
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
ARCH = ("dim", "layers", "heads", "ff", "vocab_size", "max_len", "dropout")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--encoder", default="scratch")
    ap.add_argument("--settings", default="zeroshot,full")
    ap.add_argument("--per-locale", type=int, default=4000, help="unlabelled utterances per locale for pretraining")
    ap.add_argument("--pretrain-epochs", type=int, default=3)
    ap.add_argument("--span-masking", action="store_true")
    ap.add_argument("--epochs", type=int, default=5, help="fine-tuning epochs (zero-shot)")
    ap.add_argument("--full-epochs", type=int, default=2, help="fine-tuning epochs (full data)")
    ap.add_argument(
        "--full-per-locale", type=int, default=0, help="full data: first N labelled utterances per locale (0: all)"
    )
    ap.add_argument(
        "--option", "-o", action="append", default=[], help="KEY=VALUE: architecture (scratch) / fine-tuning option"
    )
    ap.add_argument("--data", default=None)
    args = ap.parse_args()

    from kiloglot.learn.pretrain import pretrain
    from kiloglot.learn.unlabeled import read_unlabeled, sample_per_locale
    from kiloglot.options import parse_assignments

    opts = parse_assignments(args.option)
    arch = {k: v for k, v in opts.items() if k in ARCH}
    texts = sample_per_locale(read_unlabeled("massive:train", None, data=args.data), args.per_locale, 13)
    enc_dir = f"models/{args.name}_encoder"
    t0 = time.perf_counter()
    report = pretrain(
        texts, enc_dir, encoder=args.encoder, epochs=args.pretrain_epochs, span_masking=args.span_masking, **arch
    )
    pretrain_secs = time.perf_counter() - t0
    variants = [("plain", args.encoder), ("pretrained", enc_dir)]
    if args.encoder == "scratch":
        # The pretrained folder also brings a tokenizer learned from all locales' text; a folder with that
        # tokenizer and untrained weights (0 epochs) separates the tokenizer's share from masked-LM's.
        tok_dir = f"models/{args.name}_tokenizer_only"
        pretrain(texts, tok_dir, encoder=args.encoder, epochs=0, **arch)
        variants.insert(1, ("multilingual tokenizer, no MLM", tok_dir))
    runs = {}
    for setting in args.settings.split(","):
        train_locales, epochs = ("en-US", args.epochs) if setting == "zeroshot" else ("all", args.full_epochs)
        for variant, encoder in variants:
            name = f"{args.name}_{setting}_{variant.split(',')[0].replace(' ', '_')}"
            cmd = [
                sys.executable,
                str(HERE / "train_neural.py"),
                "--encoder",
                encoder,
                "--train-locales",
                train_locales,
                "--eval-locales",
                "all",
                "--epochs",
                str(epochs),
                "--patience",
                str(epochs),
                "--name",
                name,
                "--checkpoint-dir",
                f"runs/{name}.ckpt",
            ]
            if setting == "full" and args.full_per_locale:
                cmd += ["--train-per-locale", str(args.full_per_locale)]
            for k, v in opts.items():
                if encoder == args.encoder or k not in ARCH:  # the pretrained folder fixes the architecture
                    cmd += ["-o", f"{k}={v}"]
            print(" ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
            r = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
            runs[f"{setting}/{variant}"] = {
                "command": " ".join(cmd[1:]),
                "em_all": 100 * r["dev_mean_all_eval_locales"]["exact_match"],
                "ia_all": 100 * r["dev_mean_all_eval_locales"]["intent_accuracy"],
                "f1_all": 100 * r["dev_mean_all_eval_locales"]["slot_micro_f1"],
                "em_unseen": 100 * r["dev_mean_unseen_locales"]["exact_match"]
                if r["dev_mean_unseen_locales"]
                else None,
                "train_seconds": r["seconds"]["read_fit"],
                "epochs": r["epochs"],
            }
    result = {
        **header("pretrain_effect"),
        "pretraining": {
            "utterances": report["utterances"],
            "locales": len(report["locales"]),
            "seconds": round(pretrain_secs, 1),
            "before": report["before"],
            "after": report["after"],
            "options": report["options"],
        },
        "runs": runs,
    }
    lines = [
        f"Stage-2 pretraining: masked-LM on {report['utterances']:,} unlabelled MASSIVE train utterances of "
        f"{len(report['locales'])} locales, {args.pretrain_epochs} epochs, {pretrain_secs / 60:.1f} min; held-out "
        f"masked-token accuracy {100 * report['before']['masked_token_accuracy']:.1f}% -> "
        f"{100 * report['after']['masked_token_accuracy']:.1f}%.",
        "",
        "| setting | encoder | dev EM (52) | EM unseen (51) | IA | slot F1 | fine-tuning min |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, r in runs.items():
        setting, variant = key.split("/", 1)
        unseen = f"{r['em_unseen']:.2f}" if r["em_unseen"] is not None else "-"
        lines.append(
            f"| {setting} | {variant} | {r['em_all']:.2f} | {unseen} | {r['ia_all']:.2f} | {r['f1_all']:.2f} | "
            f"{r['train_seconds'] / 60:.1f} |"
        )
    write_result(args.name, result, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
