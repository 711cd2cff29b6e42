#!/usr/bin/env python3
"""Languages as if nobody had labelled them: en-US labels + a bilingual lexicon, nothing of the target.

For every target locale: en-US train translated word for word with the target's lexicon
(``kiloglot.learn.lexicon.expand``, seed 0; with ``--unimorph``, inflected forms from UniMorph where it has
the language), one linear parser trained on all the targets' pseudo-labelled data (one model per locale
inside it, as always), scored on each target's real MASSIVE dev with the official metrics. Beside each
locale: the lexicon's size and its coverage of the en-US training tokens, so that gain can be read
against lexicon quality. The zero-shot baseline is the en-US-only neural model (me5-small, `content`
alignment), 36.37 mean dev EM over the 51 (`neural_me5_zeroshot_crf_fl6_content`).

    python benchmarks/lexicon_transfer.py --lexicons ../shared/data/lexicons --name lexicon_linear
    python benchmarks/lexicon_transfer.py --lexicons ../shared/data/lexicons \
        --unimorph ../shared/data/unimorph --only-unimorph --name lexicon_linear_unimorph
"""

from __future__ import annotations

import argparse
import time

from results_io import emit, header, load_result, run_timed

from kiloglot.data import ALL_LOCALES, locale_info, read_massive
from kiloglot.evaluation import evaluate
from kiloglot.learn.lexicon import ExpandSettings, Lexicon, Morphology, expand, lexicon_files, unimorph_file
from kiloglot.nlu import registry

BASELINE = "neural_me5_zeroshot_crf_fl6_content"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lexicons", required=True)
    ap.add_argument("--unimorph", default=None)
    ap.add_argument("--only-unimorph", action="store_true", help="only the locales UniMorph has")
    ap.add_argument("--locales", default=None, help="default: the 51 MASSIVE locales other than en-US")
    ap.add_argument("--keep-slot-values", action="store_true")
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--save", default=None, help="save the trained model here")
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    targets = args.locales.split(",") if args.locales else [loc for loc in ALL_LOCALES if loc != "en-US"]
    source = read_massive(args.data, ["en-US"], ["train"])
    settings = ExpandSettings(seed=args.seed, copies=args.copies, keep_slot_values=args.keep_slot_values)
    train, info = [], {}
    started = time.perf_counter()
    for target in targets:
        language = locale_info(target)
        lexicon = Lexicon.read(lexicon_files(args.lexicons, language.iso639_1))
        morphology = None
        if args.unimorph:
            table = unimorph_file(args.unimorph, language.iso639_3)
            if table is None and args.only_unimorph:
                continue
            morphology = Morphology.read(table) if table else None
        examples, report = expand(source, target, lexicon, settings, morphology)
        train.extend(examples)
        info[target] = {"lexicon_pairs": len(lexicon), "coverage": round(100 * report.coverage, 1),
                        "unimorph": morphology is not None, "inflected_tokens": report.inflected}  # fmt: skip
        print(f"{target}: {len(lexicon):,} pairs, coverage {report.coverage:.1%}", flush=True)
    targets = list(info)
    expand_seconds = time.perf_counter() - started
    parser = registry.create("linear", jobs=args.jobs)
    started = time.perf_counter()
    parser.fit(train)
    fit_seconds = time.perf_counter() - started
    if args.save:
        parser.save(args.save)
    dev = read_massive(args.data, targets, ["dev"])
    report = evaluate(parser, dev, locales=targets).report
    baseline = load_result(BASELINE)
    baseline_mean = 100 * baseline["dev_mean_unseen_locales"]["exact_match"] if baseline else None
    rows = []
    for target in targets:
        scores = report.per_locale[target]
        info[target].update({"exact_match": round(100 * scores.exact_match, 2),
                             "intent_accuracy": round(100 * scores.intent_accuracy, 2),
                             "slot_f1": round(100 * scores.slot_micro_f1, 2)})  # fmt: skip
        row = info[target]
        rows.append(
            f"| {target} | {row['lexicon_pairs']:,} | {row['coverage']:.1f} | {row['exact_match']:.1f} | "
            f"{row['intent_accuracy']:.1f} | {row['slot_f1']:.1f} |"
        )
    mean_em = sum(info[t]["exact_match"] for t in targets) / len(targets)
    result = {**header("lexicon_transfer"), "targets": targets, "settings": settings.__dict__,
              "unimorph": args.unimorph, "train_examples": len(train), "expand_seconds": round(expand_seconds, 1),
              "fit_seconds": round(fit_seconds, 1), "mean_exact_match": round(mean_em, 2),
              "zero_shot_baseline_mean": baseline_mean, "locales": info}  # fmt: skip
    table = [
        f"Linear parser on lexicon-translated en-US train ({len(targets)} locales; no target text or labels); "
        f"MASSIVE dev. Mean EM {mean_em:.2f}"
        + (f" (zero-shot neural baseline {baseline_mean:.2f})" if baseline_mean else ""),
        "",
        "| locale | lexicon pairs | coverage of en-US tokens % | EM | intent acc. | slot F1 |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]
    emit(args.name, result, table)
    return 0


if __name__ == "__main__":
    run_timed(main)
