#!/usr/bin/env python3
"""Text language identification on MASSIVE dev: which locale each utterance is in, over all 52.

The n-gram identifier (``kiloglot.langid.NgramIdentifier``) is trained here on MASSIVE train text of the
same locales, as ``kiloglot train`` does; py3langid is scored as shipped, its language mapped to the
first MASSIVE locale of that language (it cannot tell zh-CN from zh-TW, and names Bokmål ``no``).
Per locale: accuracy; then the confusable pairs (how often gold A was named B), and the speed.

    python benchmarks/langid_accuracy.py --name langid_dev
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from typing import Any

from results_io import emit, header, run_timed

from kiloglot.data import ALL_LOCALES, read_massive
from kiloglot.langid import NgramIdentifier, NgramSettings, Py3LangidIdentifier

PAIRS = [("nb-NO", "da-DK"), ("ms-MY", "id-ID"), ("zh-CN", "zh-TW"), ("pt-PT", "es-ES"), ("af-ZA", "nl-NL"),
         ("jv-ID", "id-ID"), ("hi-IN", "ur-PK"), ("sv-SE", "nb-NO"), ("ca-ES", "es-ES")]  # fmt: skip


def score(name: str, guesses: list[str], gold: list[str], seconds: float) -> dict[str, Any]:
    per: dict[str, list[bool]] = defaultdict(list)
    for g, y in zip(guesses, gold):
        per[y].append(g == y)
    confusion = Counter((y, g) for g, y in zip(guesses, gold) if g != y)
    accuracy = {loc: round(100 * sum(v) / len(v), 2) for loc, v in sorted(per.items())}
    return {
        "identifier": name,
        "mean_accuracy": round(sum(accuracy.values()) / len(accuracy), 2),
        "per_locale": accuracy,
        "pairs": {f"{a}->{b}": confusion[(a, b)] for x, y in PAIRS for a, b in ((x, y), (y, x))},
        "top_confusions": [[a, b, n] for (a, b), n in confusion.most_common(15)],
        "ms_per_text": round(1000 * seconds / len(gold), 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None)
    ap.add_argument("--locales", default="all")
    ap.add_argument("--ngram-max", type=int, default=4)
    ap.add_argument("--features", type=int, default=19, help="log2 of the hashed feature count")
    ap.add_argument("--per-locale", type=int, default=0, help="dev utterances per locale (0: all)")
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    locales = list(ALL_LOCALES) if args.locales == "all" else args.locales.split(",")
    train = read_massive(args.data, locales, ["train"])
    dev = read_massive(args.data, locales, ["dev"])
    if args.per_locale:
        seen: Counter[str] = Counter()
        dev = [e for e in dev if (seen.update([e.locale]) or seen[e.locale] <= args.per_locale)]
    gold = [e.locale for e in dev]
    texts = [e.text for e in dev]
    settings = NgramSettings(n_features=2**args.features, ngram_max=args.ngram_max)
    started = time.perf_counter()
    ngram = NgramIdentifier.fit([e.text for e in train], [e.locale for e in train], settings)
    fit_seconds = time.perf_counter() - started
    results = []
    for identifier in (ngram, Py3LangidIdentifier()):
        started = time.perf_counter()
        guesses = [g.locale for g in identifier.identify_batch(texts, locales)]
        results.append(score(identifier.name, guesses, gold, time.perf_counter() - started))
        print(f"{identifier.name}: {results[-1]['mean_accuracy']:.2f} %", flush=True)
    result = {**header("langid_accuracy"), "locales": locales, "dev_utterances": len(dev),
              "ngram_settings": settings.__dict__, "ngram_fit_seconds": round(fit_seconds, 1),
              "identifiers": results}  # fmt: skip
    names = [r["identifier"] for r in results]
    table = [
        f"Text language identification, MASSIVE dev ({len(dev):,} utterances, {len(locales)} locales); "
        f"n-gram identifier trained on MASSIVE train in {fit_seconds:.0f} s",
        "",
        "| locale | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
        *(f"| {loc} | " + " | ".join(f"{r['per_locale'].get(loc, 0):.1f}" for r in results) + " |" for loc in locales),
        "| **mean** | " + " | ".join(f"**{r['mean_accuracy']:.2f}**" for r in results) + " |",
        "| ms per text | " + " | ".join(f"{r['ms_per_text']:.3f}" for r in results) + " |",
        "",
        "Confusable pairs (gold -> named, utterances):",
        "",
        "| pair | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
        *(f"| {p} | " + " | ".join(str(r["pairs"][p]) for r in results) + " |" for p in results[0]["pairs"]),
    ]
    emit(args.name, result, table)
    return 0


if __name__ == "__main__":
    run_timed(main)
