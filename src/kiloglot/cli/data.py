"""``kiloglot data info`` and ``kiloglot data use``: what a MASSIVE source holds; which copy to use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kiloglot.cli.common import DataOpt, LocalesOpt, SkipBadOpt, err, friendly, out, read_examples, settings
from kiloglot.data import LOCALES, parse_locales, summarize, use_massive_source


@friendly
def info(
    data: DataOpt = None,
    locales: LocalesOpt = "all",
    skip_bad: SkipBadOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Locales, partitions, counts, intents and slots of a MASSIVE source."""
    summary = summarize(read_examples(data, parse_locales(locales), None, skip_bad))
    if as_json:
        out.print_json(json.dumps(summary.to_dict(), ensure_ascii=False))
        return
    partitions = summary.partitions
    table = Table(title=f"MASSIVE: {summary.records:,} records")
    for col in ["locale", "language", "script", "family", *partitions]:
        table.add_column(col, justify="right" if col in partitions else "left")
    for loc, c in sorted(summary.counts.items()):
        i = LOCALES[loc]
        table.add_row(loc, i.language, i.script, i.family, *(f"{c[p]:,}" for p in partitions))
    out.print(table)
    out.print(
        f"{len(summary.counts)} locales, {len(summary.scenarios)} scenarios, {len(summary.intents)} intents, "
        f"{len(summary.slots)} slot types"
    )
    out.print("[bold]intents:[/] " + ", ".join(sorted(summary.intents)), soft_wrap=True)
    out.print("[bold]slots:[/] " + ", ".join(sorted(summary.slots)), soft_wrap=True)


@friendly
def use(
    source: Annotated[Path, typer.Argument(help="a local MASSIVE copy: the official .tar.gz, a folder or a .jsonl")],
) -> None:
    """Use this local MASSIVE copy from now on, wherever a command would otherwise download it."""
    registered = use_massive_source(source, settings())
    err.print(f"MASSIVE: using {source.resolve()} (registered in {registered})")
