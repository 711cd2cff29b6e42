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


@friendly
def languages(
    lexicons: Annotated[
        Path, typer.Option("--lexicons", help="a folder of en-<lang>.tsv lexicons (GATITOS, FreeDict under extra/)")
    ],
    data: DataOpt = None,
    report: Annotated[Path | None, typer.Option("--report", help="write the table as JSON here too")] = None,
) -> None:
    """Every language kiloglot can build a parser for from a lexicon folder: its lexicon size and how much of
    the en-US training words it covers (`kiloglot expand --to CODE` builds one)."""
    from kiloglot.fileio import write_text_atomic
    from kiloglot.learn.lexicon import lexicon_languages, reach

    source = MassiveReader(massive_source(data), ["en-US"], ["train"], False).read()
    codes = lexicon_languages(lexicons)
    with progress_bar("reading lexicons", len(codes)) as advance:
        rows = reach(lexicons, source, progress=lambda code: advance(1, note=code))
    table = Table(title=f"{len(rows)} languages with a lexicon")
    for col in ("code", "language", "script", "MASSIVE", "pairs", "coverage %"):
        table.add_column(col, justify="right" if col in ("pairs", "coverage %") else "left")
    for r in sorted(rows, key=lambda r: -r.coverage):
        table.add_row(r.code, r.language, r.script, r.massive_locale or "", f"{r.pairs:,}", f"{100 * r.coverage:.1f}")
    out.print(table)
    if report is not None:
        write_text_atomic(report, json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=1))
