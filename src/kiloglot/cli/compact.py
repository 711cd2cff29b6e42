"""`kiloglot compact`: make a trained linear model smaller without training again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import err, friendly
from kiloglot.errors import InputError


@friendly
def compact(
    model_dir: Annotated[Path, typer.Argument(help="trained linear model directory")],
    out: Annotated[Path, typer.Option("--out", "-o", help="directory for the compact model (replaced atomically)")],
    intent_density: Annotated[
        float,
        typer.Option("--intent-density", help="fraction of each locale's intent weights kept, largest first (1: all)"),
    ] = 1.0,
    compact_slots: Annotated[
        bool,
        typer.Option(
            "--compact-slots/--crfsuite-slots",
            help="keep the CRF as int8 weights in NumPy (6-8x smaller) or as crfsuite's file",
        ),
    ] = True,
) -> None:
    """Make a trained linear model smaller without training again: prune intent weights, compact the CRF."""
    from kiloglot.nlu import load, read_manifest

    kind = read_manifest(model_dir).get("kind")
    if kind != "linear":
        raise InputError(
            f"{model_dir} is a {kind!r} model: expected a linear one (neural models shrink with "
            "`kiloglot export --int8` or `kiloglot distill`)"
        )
    parser = load(model_dir)
    small = parser.compacted(intent_density=intent_density, compact_slots=compact_slots)
    path = small.save(out, metrics=None)
    before = sum(f.stat().st_size for f in Path(model_dir).rglob("*") if f.is_file())
    after = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    err.print(
        f"{model_dir} ({before / 1e6:.1f} MB) -> {path} ({after / 1e6:.1f} MB; intent density "
        f"{small.options.intent_density:g}, slots {'compact' if small.options.compact_slots else 'crfsuite'})"
    )
