"""``kiloglot data info`` and ``kiloglot data use``: what a MASSIVE source holds; which copy to use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kiloglot.cli.common import (
    DataOpt,
    LocalesOpt,
    SkipBadOpt,
    err,
    friendly,
    massive_source,
    out,
    progress_bar,
    settings,
)
from kiloglot.data import LOCALES, MassiveReader, parse_locales, summarize, use_massive_source


@friendly
def info(
    data: DataOpt = None,
    locales: LocalesOpt = "all",
    skip_bad: SkipBadOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Locales, partitions, counts, intents and slots of a MASSIVE source (streamed: memory stays flat)."""
    wanted = parse_locales(locales)
    reader = MassiveReader(massive_source(data), wanted, None, skip_bad)
    with progress_bar("reading MASSIVE", len(wanted)) as advance:
        seen: list[str] = []

        def on_file(name: str) -> None:
            if seen:
                advance(1, note=seen[-1])
            seen.append(Path(name.rsplit(":", 1)[-1]).stem)

        summary = summarize(reader.summaries(on_file))
        if seen:
            advance(1, note=seen[-1])
    if reader.skipped:
        first = reader.skipped[0]
        err.print(
            f"[yellow]skipped {len(reader.skipped)} malformed record(s)[/]; first: "
            f"{first.source}, line {first.line}: {first.problem}"
        )
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
