#!/usr/bin/env python3
"""Check that the [slot : value] codec round-trips every MASSIVE record exactly.

For each record: decode annot_utt + utt into an Example, encode it back and compare with annot_utt;
also rebuild utt from the Example, and compare word labels with a left-to-right reading of the
markup. Prints counts per locale and exits 1 on any mismatch.

    python scripts/check_roundtrip.py [--data PATH] [--locales all]
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
from collections import Counter

from kiloglot.data import SlotCodec, parse_locales, resolve_massive_source
from kiloglot.data.massive import _MEMBER


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default=None, help="MASSIVE .tar.gz, folder or .jsonl (default: resolved as the CLI does)"
    )
    ap.add_argument("--locales", default="all")
    args = ap.parse_args()
    locales = set(parse_locales(args.locales))
    src = resolve_massive_source(args.data)
    ok: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    examples: list[str] = []
    t0 = time.perf_counter()
    with tarfile.open(src, "r:*") as tar:
        for member in tar:
            m = _MEMBER.search(member.name)
            if not m or m.group(1) not in locales:
                continue
            for line in tar.extractfile(member):  # type: ignore[union-attr]
                rec = json.loads(line)
                ex = SlotCodec.decode(rec["annot_utt"], rec["locale"], rec["utt"], id=rec["id"])
                same = SlotCodec.encode(ex) == rec["annot_utt"] and ex.text == rec["utt"]
                same = same and all(ex.text[s.start : s.end].strip() for s in ex.spans)
                (ok if same else bad)[rec["locale"]] += 1
                if not same and len(examples) < 10:
                    examples.append(f"{rec['locale']} {rec['id']}: {rec['annot_utt']!r} -> {SlotCodec.encode(ex)!r}")
    total_ok, total_bad = sum(ok.values()), sum(bad.values())
    print(
        f"{len(ok | bad)} locales, {total_ok + total_bad} records: {total_ok} exact, {total_bad} mismatched "
        f"({time.perf_counter() - t0:.1f}s)"
    )
    for line in examples:
        print("  ", line)
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
