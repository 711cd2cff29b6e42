"""The compact CRF against crfsuite's: per locale, the slots of a trained linear model decoded by
crfsuite and by ``CompactTagger`` at several fractions of the state weights kept (``density``), with
the intent model unchanged. Records dev exact match and slot F1, the share of utterances labelled
exactly as crfsuite labels them, bytes on disk of the CRF files, and parse time per utterance.

    python benchmarks/compact_crf.py --model models/linear-all-compressed --locales en-US,de-DE,ja-JP,ar-SA

Writes benchmarks/results/<name>.json and .md.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from results_io import header, run_timed, write_result

from kiloglot.data import parse_locales, read_massive
from kiloglot.evaluation import build_report
from kiloglot.nlu import load
from kiloglot.nlu.linear.storage import LocaleModel, save_compact_slots


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a linear model whose CRFs are crfsuite files")
    ap.add_argument("--locales", default="en-US,de-DE,ja-JP,ar-SA")
    ap.add_argument("--density", default="1.0,0.5,0.3")
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default="compact_crf")
    args = ap.parse_args()
    locales = parse_locales(args.locales)
    densities = [float(x) for x in args.density.split(",")]
    dev = read_massive(args.data, locales, ["dev"])
    parser = load(args.model)
    rows = []
    for locale in locales:
        examples = [e for e in dev if e.locale == locale]
        model = parser._model(locale)
        t0 = time.perf_counter()
        reference = parser.parse_examples(examples)
        secs = time.perf_counter() - t0
        s = build_report(examples, reference).per_locale[locale]
        rows.append(
            {
                "locale": locale,
                "slots": "crfsuite",
                "density": 1.0,
                "exact_match": 100 * s.exact_match,
                "slot_micro_f1": 100 * s.slot_micro_f1,
                "same_labels": 100.0,
                "crf_bytes": len(gzip.compress(model.slots.model, compresslevel=6)),
                "ms_per_utterance": 1000 * secs / len(examples),
            }
        )
        for density in densities:
            compact = model.slots.compact(density)
            parser._models[locale] = LocaleModel(model.intent, compact)
            t0 = time.perf_counter()
            parses = parser.parse_examples(examples)
            secs = time.perf_counter() - t0
            parser._models[locale] = model
            s = build_report(examples, parses).per_locale[locale]
            with tempfile.TemporaryDirectory() as tmp:
                save_compact_slots(compact, Path(tmp))
                size = sum(f.stat().st_size for f in Path(tmp).iterdir())
            same = sum(a.word_labels == b.word_labels for a, b in zip(reference, parses)) / len(examples)
            rows.append(
                {
                    "locale": locale,
                    "slots": "compact int8",
                    "density": density,
                    "exact_match": 100 * s.exact_match,
                    "slot_micro_f1": 100 * s.slot_micro_f1,
                    "same_labels": 100 * same,
                    "crf_bytes": size,
                    "ms_per_utterance": 1000 * secs / len(examples),
                }
            )
        print(f"{locale} done", flush=True)
    result = {
        **header("compact_crf"),
        "model": args.model,
        "rows": rows,
        "note": "ms_per_utterance: the whole parse (intent + slots) of the locale's dev partition, one process",
    }
    table = [
        "| locale | slots | density | EM | slot F1 | same labels % | CRF KB on disk | ms / utt |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    table += [
        f"| {r['locale']} | {r['slots']} | {r['density']:g} | {r['exact_match']:.2f} | {r['slot_micro_f1']:.2f} | "
        f"{r['same_labels']:.2f} | {r['crf_bytes'] / 1000:,.0f} | {r['ms_per_utterance']:.3f} |"
        for r in rows
    ]
    write_result(args.name, result, table)
    return 0


if __name__ == "__main__":
    run_timed(main)
