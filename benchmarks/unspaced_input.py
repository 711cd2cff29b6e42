#!/usr/bin/env python3
"""Thai, Khmer and Burmese typed without spaces: how much of the parse survives.

MASSIVE's text in these scripts is spaced between phrases; people often type none. Each dev utterance is
parsed three ways: as MASSIVE wrote it; with every space between two non-Latin characters removed, read
as one piece (what kiloglot did before it cut such input into words); and the same unspaced text cut into
words by the language's segmenter (``split_words``: PyThaiNLP, khmer-nltk, Burmese syllables). The last
column says which of the two kiloglot does (``input_word_offsets``), chosen by this table.
Scores compare slots as (name, value) with the gold values, spaces removed, so the three agree on what a
right slot is; exact match needs the intent and all slots right.

    python benchmarks/unspaced_input.py --model models/linear-unspaced --name unspaced_input
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from results_io import emit, header, run_timed

import kiloglot.nlu.linear.parser as linear_parser
from kiloglot.data import read_massive
from kiloglot.data.segmentation import UNSPACED_LANGUAGES, official_segmentation, split_words, word_offsets
from kiloglot.nlu import load

_JOINED = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


def unspaced(text: str) -> str:
    return _JOINED.sub("", text)


def cut_every_piece(text: str, locale: str, *_: object, language: str) -> list[tuple[int, int]]:
    """Every piece cut into words, Burmese too (what ``input_word_offsets`` does for one- or two-piece input)."""
    return [(s + a, s + b) for s, e in word_offsets(text, locale) for a, b in split_words(text[s:e], language)]


def score(examples: Sequence[Any], parses: Sequence[Any]) -> dict[str, float]:
    tp = fp = fn = exact = right_intent = 0
    for ex, p in zip(examples, parses):
        gold = sorted((s.name, unspaced(ex.text[s.start : s.end]).replace(" ", "")) for s in ex.spans)
        got = sorted((s.name, s.value.replace(" ", "")) for s in p.slots)
        hits = sum(min(gold.count(g), got.count(g)) for g in set(gold))
        tp, fp, fn = tp + hits, fp + len(got) - hits, fn + len(gold) - hits
        right_intent += p.intent == ex.intent
        exact += p.intent == ex.intent and gold == got
    n = len(examples) or 1
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {"exact_match": round(100 * exact / n, 2), "intent_accuracy": round(100 * right_intent / n, 2),
            "slot_f1": round(100 * f1, 2)}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a model that reads th-TH, km-KH and my-MM")
    ap.add_argument("--locales", default="th-TH,km-KH,my-MM")
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    parser = load(args.model)
    locales = args.locales.split(",")
    dev = read_massive(args.data, locales, ["dev"])
    result: dict[str, Any] = {**header("unspaced_input"), "model": args.model, "locales": {}}
    rows = []
    for locale in locales:
        examples = [e for e in dev if e.locale == locale]
        texts = [unspaced(e.text) for e in examples]
        changed = sum(t != e.text for t, e in zip(texts, examples))
        started = time.perf_counter()
        with official_segmentation():
            spaced = score(examples, parser.parse([e.text for e in examples], locale))
            whole = score(examples, parser.parse(texts, locale))  # as before: one long piece
        language = locale.split("-")[0]
        segmenting = linear_parser.input_word_offsets
        linear_parser.input_word_offsets = partial(cut_every_piece, language=language)
        try:
            cut = score(examples, parser.parse(texts, locale))
        finally:
            linear_parser.input_word_offsets = segmenting
        seconds = time.perf_counter() - started
        cut_languages = getattr(parser, "_cut_languages", UNSPACED_LANGUAGES)
        used = "cut" if language in cut_languages else "one piece"
        result["locales"][locale] = {"utterances": len(examples), "unspaced_changed": changed, "as_written": spaced,
                                     "unspaced_one_piece": whole, "unspaced_segmented": cut,
                                     "kiloglot_reads_unspaced_as": used}  # fmt: skip
        rows.append(
            f"| {locale} | {len(examples)} | {spaced['exact_match']:.1f} / {spaced['slot_f1']:.1f} | "
            f"{whole['exact_match']:.1f} / {whole['slot_f1']:.1f} | {cut['exact_match']:.1f} / {cut['slot_f1']:.1f} | "
            f"{used} |"
        )
        print(f"{locale}: {seconds:.0f}s", flush=True)
    table = [
        f"Unspaced input (model {args.model}; MASSIVE dev; exact match / slot F1 on (name, value))",
        "",
        "| locale | utterances | as written | unspaced, one piece | unspaced, cut into words | kiloglot reads it |",
        "|---|---:|---:|---:|---:|---|",
        *rows,
    ]
    emit(args.name, result, table)
    return 0


if __name__ == "__main__":
    run_timed(main)
