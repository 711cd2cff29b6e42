#!/usr/bin/env python3
"""How often the value readers agree with English on MASSIVE's parallel utterances.

MASSIVE translates each English utterance into every locale under the same id. For the alarm and
calendar intents, read the gold time and date slots of each reply locale with ``read_when`` and compare
with the reading of the English original: the same clock time (hour and minute), the same moment from
now, the same duration, or both unread. English itself is the reference, so its row shows how many it
reads at all. Disagreement is not always the reader's fault (a translator may write "morning" for
"7 am"), so the table lists the kinds of misses, and ``--examples`` prints them.

    python benchmarks/values_agreement.py --name values_agreement
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from datetime import UTC, datetime
from typing import Any

from results_io import header, run_timed, write_result

from kiloglot.assistant.nlg import REPLY_LOCALES, Localizer
from kiloglot.assistant.values import When, read_when
from kiloglot.data import read_massive

INTENTS = ("alarm_set", "alarm_remove", "alarm_query", "calendar_set", "calendar_query", "calendar_remove")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday morning


def reading(when: When) -> tuple[str, Any]:
    if when.relative and when.at is not None:
        return "moment", round((when.at - NOW).total_seconds())
    if when.at is not None:
        return "clock", when.at.strftime("%H:%M")
    if when.seconds is not None:
        return "duration", round(when.seconds)
    return "none", None


def slot_text(example: Any) -> str:
    return " ".join(example.text[s.start : s.end] for s in example.spans if s.name in ("time", "timeofday"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="MASSIVE archive or folder (default: as every command finds it)")
    ap.add_argument("--split", default="train", help="train or dev")
    ap.add_argument("--name", default=None, help="write benchmarks/results/<name>.{json,md}")
    ap.add_argument("--examples", type=int, default=0, help="print this many disagreements per locale")
    args = ap.parse_args()

    data = read_massive(args.data, list(REPLY_LOCALES), [args.split])
    by_id: dict[str, dict[str, Any]] = collections.defaultdict(dict)
    for e in data:
        if e.intent in INTENTS:
            by_id[e.id][e.locale] = e
    rows, result = [], {}
    english = Localizer("en-US")
    started = time.perf_counter()
    reads = 0
    for locale in REPLY_LOCALES:
        loc = Localizer(locale)
        counts: collections.Counter[str] = collections.Counter()
        shown = 0
        for versions in by_id.values():
            if "en-US" not in versions or locale not in versions:
                continue
            en, ex = versions["en-US"], versions[locale]
            times_en, times = slot_text(en), slot_text(ex)
            if not times_en.strip():
                continue
            ref = reading(read_when(times_en, english, NOW, utterance=en.text))
            got = reading(read_when(times, loc, NOW, utterance=ex.text)) if times.strip() else ("untagged", None)
            reads += 2
            counts["pairs"] += 1
            counts["english_reads"] += ref[0] != "none"
            if got == ref:
                counts["agree"] += 1
            else:
                counts[f"miss_{'kind' if got[0] != ref[0] else 'value'}"] += 1
                if shown < args.examples:
                    shown += 1
                    print(f"{locale}\t{times_en!r} -> {ref}\t{times!r} -> {got}", file=sys.stderr)
        pairs = counts["pairs"] or 1
        result[locale] = dict(counts, agreement=round(100 * counts["agree"] / pairs, 1))
        rows.append(
            f"| {locale} | {counts['pairs']} | {100 * counts['english_reads'] / pairs:.1f} | "
            f"{100 * counts['agree'] / pairs:.1f} | {counts['miss_kind']} | {counts['miss_value']} |"
        )
    per_read_ms = 1000 * (time.perf_counter() - started) / max(1, reads)
    mean = sum(r["agreement"] for loc, r in result.items() if loc != "en-US") / (len(result) - 1)
    table = [
        f"Value readers against English on MASSIVE {args.split} (alarm and calendar intents with a time slot; "
        f"mean agreement of the 11 other locales {mean:.1f} %, {per_read_ms:.2f} ms a reading)",
        "",
        "| locale | pairs | English reads % | agrees with English % | other kind | other value |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]
    if args.name:
        write_result(args.name, {**header("values_agreement"), "split": args.split, "mean_agreement": round(mean, 1),
                                 "ms_per_reading": round(per_read_ms, 3), "locales": result}, table)  # fmt: skip
    else:
        print("\n".join(table))
    return 0


if __name__ == "__main__":
    run_timed(main)
