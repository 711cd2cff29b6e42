"""`kiloglot data info`: locales, partitions, counts, intents and slots of a MASSIVE source."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

import typer
from rich.table import Table

from kiloglot.cli.common import DataOpt, LocalesOpt, SkipBadOpt, _read, friendly, out


@friendly
def data_info(
    data: DataOpt = None,
    locales: LocalesOpt = "all",
    skip_bad: SkipBadOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Locales, partitions, counts, intents and slots of a MASSIVE source."""
    from kiloglot.data import LOCALES, parse_locales

    chosen = parse_locales(locales)
    examples = _read(data, chosen, None, skip_bad)
    counts: dict[str, Counter[str]] = {}
    intents: Counter[str] = Counter()
    slots: Counter[str] = Counter()
    for ex in examples:
        counts.setdefault(ex.locale, Counter())[ex.partition] += 1
        intents[ex.intent] += 1
        for s in ex.spans:
            slots[s.name] += 1
    partitions = sorted(
        {p for c in counts.values() for p in c},
        key=lambda p: ("train", "dev", "test").index(p) if p in ("train", "dev", "test") else 9,
    )
    scenarios = sorted({i.split("_", 1)[0] for i in intents})
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "locales": {k: dict(v) for k, v in sorted(counts.items())},
                    "records": len(examples),
                    "scenarios": scenarios,
                    "intents": dict(sorted(intents.items())),
                    "slots": dict(sorted(slots.items())),
                },
                ensure_ascii=False,
            )
        )
        return
    table = Table(title=f"MASSIVE: {len(examples):,} records")
    for col in ["locale", "language", "script", "family", *partitions]:
        table.add_column(col, justify="right" if col in partitions else "left")
    for loc, c in sorted(counts.items()):
        info = LOCALES[loc]
        table.add_row(loc, info.language, info.script, info.family, *(f"{c[p]:,}" for p in partitions))
    out.print(table)
    out.print(f"{len(counts)} locales, {len(scenarios)} scenarios, {len(intents)} intents, {len(slots)} slot types")
    out.print("[bold]intents:[/] " + ", ".join(sorted(intents)), soft_wrap=True)
    out.print("[bold]slots:[/] " + ", ".join(sorted(slots)), soft_wrap=True)
