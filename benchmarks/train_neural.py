#!/usr/bin/env python3
"""Benchmark: train the neural parser and score it on MASSIVE dev, per locale and mean.

Full data: --train-locales all. Zero-shot: --train-locales en-US --eval-locales all (early stopping
looks only at the dev set of the training locales, so no label of another locale is used).
--model DIR scores a model trained elsewhere (e.g. by `kiloglot distill`) the same way, without
training: its labelled locales (from the manifest) count as seen.

    python benchmarks/train_neural.py --encoder hf:~/.cache/kiloglot/me5-small-q4 --train-locales en-US \
        --eval-locales all --epochs 4 --freeze-embeddings --name neural_me5_zeroshot
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from results_io import RESULTS, header, write_result

from kiloglot.data import parse_locales, read_massive
from kiloglot.evaluation import build_report
from kiloglot.learn.unlabeled import sample_per_locale
from kiloglot.nlu import load, registry
from kiloglot.options import parse_assignments


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="scratch")
    ap.add_argument("--train-locales", default="all")
    ap.add_argument("--eval-locales", default=None, help="default: the training locales")
    ap.add_argument("--data", default=None)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--learning-rate", type=float, default=None)
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--freeze-embeddings", action="store_true")
    ap.add_argument("--option", "-o", action="append", default=[], help="KEY=VALUE neural option")
    ap.add_argument("--checkpoint-dir", default=None)
    ap.add_argument(
        "--train-per-locale", type=int, default=0, help="use only the first N train utterances of each locale (0: all)"
    )
    ap.add_argument(
        "--train-pick",
        choices=["first", "random"],
        default="first",
        help="with --train-per-locale: the first N of each locale (the same parallel utterances in every "
        "locale) or a seeded random N per locale (different utterances per locale: more content)",
    )
    ap.add_argument(
        "--selection-dev-per-locale",
        type=int,
        default=0,
        help="pick the best epoch on a seeded sample of N dev utterances per training locale (0: all); "
        "the final scores always use the whole dev partition of the evaluation locales",
    )
    ap.add_argument(
        "--lexicons",
        default=None,
        help="also train on en-US train translated word for word into every evaluation locale that is not a "
        "training locale (kiloglot.learn.lexicon, seed 0): the lexicon-transfer setting, no target text or labels",
    )
    ap.add_argument("--lexicon-per-locale", type=int, default=500, help="with --lexicons: examples per target (0: all)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--model", default=None, help="score this existing neural model instead of training one")
    ap.add_argument("--name", required=True)
    args = ap.parse_args()
    if args.model:
        return score_existing(args)
    train_locales = parse_locales(args.train_locales)
    eval_locales = parse_locales(args.eval_locales) if args.eval_locales else train_locales
    encoder = "hf:" + os.path.expanduser(args.encoder[3:]) if args.encoder.startswith("hf:") else args.encoder
    options: dict[str, Any] = {
        "encoder": encoder,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "patience": args.patience,
        "freeze_embeddings": args.freeze_embeddings,
        "checkpoint_dir": args.checkpoint_dir or f"runs/{args.name}.ckpt",
    }
    options.update(parse_assignments(args.option))
    out = args.out or f"models/{args.name}"
    t0 = time.perf_counter()
    data = read_massive(args.data, sorted(set(train_locales) | set(eval_locales)), ["train", "dev"])
    train = [e for e in data if e.partition == "train" and e.locale in train_locales]
    if args.train_per_locale:
        train = per_locale(train, args.train_per_locale, random_pick=args.train_pick == "random")
    if args.lexicons:
        train += lexicon_examples(train, [loc for loc in eval_locales if loc not in train_locales], args)
    dev_sel = [e for e in data if e.partition == "dev" and e.locale in train_locales]
    if args.selection_dev_per_locale:
        dev_sel = per_locale(dev_sel, args.selection_dev_per_locale, random_pick=True)
    dev_eval = [e for e in data if e.partition == "dev" and e.locale in eval_locales]
    parser = registry.create("neural", jobs=os.cpu_count(), **options)
    last = [time.perf_counter()]

    def progress(note: str, secs: float) -> None:
        if time.perf_counter() - last[0] > 60:
            print(f"[{time.perf_counter() - t0:8.0f}s] {note}", flush=True)
            last[0] = time.perf_counter()

    parser.fit(train, dev_sel, progress=progress)
    t_train = time.perf_counter() - t0
    parser.save(out)
    return score_and_write(
        args,
        out,
        train_locales,
        eval_locales,
        dev_eval,
        t_train,
        len(train),
        dict(options.items()),
        {**asdict(parser.options), **asdict(parser.training)},
        [asdict(r) for r in parser.reports],
        None,
    )


def lexicon_examples(train: list, targets: list[str], args: argparse.Namespace) -> list:
    """For each target, a seeded sample of ``--lexicon-per-locale`` en-US train examples (a different sample
    per target, drawn as ``kiloglot expand --per-target`` draws it, seed 0), translated with the target's
    lexicon; labels kept."""
    from kiloglot.data import locale_info
    from kiloglot.learn.lexicon import ExpandSettings, Lexicon, expand, lexicon_files, sample_for_target

    source = [e for e in train if e.locale == "en-US"]
    out = []
    for target in targets:
        sample = sample_for_target(source, target, args.lexicon_per_locale)
        lexicon = Lexicon.read(lexicon_files(args.lexicons, locale_info(target).iso639_1))
        examples, _ = expand(sample, target, lexicon, ExpandSettings(seed=0))
        out.extend(examples)
    print(f"{len(out)} lexicon-translated examples for {len(targets)} locales", flush=True)
    return out


def per_locale(examples: list, n: int, random_pick: bool, seed: int = 13) -> list:
    """At most n examples of each locale, in their original order: the first n, or a seeded random n."""
    if random_pick:
        return sample_per_locale(examples, n, seed)
    counts: dict[str, int] = {}
    keep = []
    for e in examples:
        counts[e.locale] = counts.get(e.locale, 0) + 1
        if counts[e.locale] <= n:
            keep.append(e)
    return keep


def score_existing(args: argparse.Namespace) -> int:
    """Score a saved neural model (a distilled or self-trained student) like a run of this script."""
    from kiloglot.nlu import read_manifest

    manifest = read_manifest(args.model)
    report = manifest.get("metrics", {}).get("distillation")
    train_locales = report["labelled_locales"] if report else manifest["locales"]
    eval_locales = parse_locales(args.eval_locales) if args.eval_locales else train_locales
    dev_eval = read_massive(args.data, eval_locales, ["dev"])
    # what training took and saw is known only for a distilled model (its manifest records it)
    seconds = (report["teacher_seconds"] + report["student_seconds"]) if report else None
    return score_and_write(
        args,
        args.model,
        train_locales,
        eval_locales,
        dev_eval,
        seconds,
        report["labelled"] + report["unlabelled"] if report else None,
        manifest["options"],
        {**manifest["options"], **manifest.get("training", {})},
        manifest.get("epochs", []),
        report,
    )


def score_and_write(
    args: argparse.Namespace,
    out: str,
    train_locales: list[str],
    eval_locales: list[str],
    dev_eval: list,
    t_train: float | None,
    n_train: int | None,
    options: dict,
    resolved: dict,
    epochs: list,
    distillation: dict | None,
) -> int:
    model = load(out)
    t1 = time.perf_counter()
    parses = model.parse_examples(dev_eval)
    t_eval = time.perf_counter() - t1
    report = build_report(dev_eval, parses, {"title": f"{args.name}: MASSIVE dev exact match"})
    report.write(RESULTS / f"{args.name}_dev.json")
    zero = [l for l in eval_locales if l not in train_locales]
    zero_mean = None
    if zero:
        from kiloglot.evaluation import mean_scores

        zero_mean = mean_scores([report.per_locale[l] for l in zero]).as_dict()
    size = sum(f.stat().st_size for f in Path(out).rglob("*") if f.is_file())
    result = header("train_neural")
    result["machine"].update(
        torch=torch.__version__, cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    )
    result |= {
        "options": options,
        "resolved_options": resolved,
        "train_locales": train_locales,
        "eval_locales": eval_locales,
        "train_examples": n_train,
        "epochs": epochs,
        "distillation": distillation,
        "seconds": {"read_fit": t_train, "eval_parse": t_eval},
        "eval_utterances_per_s": len(dev_eval) / t_eval,
        "model_dir": out,
        "model_bytes": size,
        "dev_mean_all_eval_locales": report.mean.as_dict(),
        "dev_mean_unseen_locales": zero_mean,
        "dev_worst5": {k: v.as_dict() for k, v in report.worst(5)},
    }
    write_result(args.name, result)
    m = report.mean
    print(
        f"{args.name}: dev mean over {len(eval_locales)} locales EM {100 * m.exact_match:.2f} "
        f"IA {100 * m.intent_accuracy:.2f} F1 {100 * m.slot_micro_f1:.2f}"
        + (f"; unseen {len(zero)}: EM {100 * zero_mean['exact_match']:.2f}" if zero_mean else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
