"""``kiloglot compact``: make a trained linear model smaller without training again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import OutOpt, directory_size, err, friendly
from kiloglot.nlu.linear import compact_saved_model


@friendly
def compact(
    model_dir: Annotated[Path, typer.Argument(help="trained linear model directory")],
    out: OutOpt,
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
    small = compact_saved_model(model_dir, out, intent_density=intent_density, compact_slots=compact_slots)
    err.print(
        f"{model_dir} ({directory_size(Path(model_dir)) / 1e6:.1f} MB) -> {out} ({directory_size(out) / 1e6:.1f} MB; "
        f"intent density {small.options.intent_density:g}, "
        f"slots {'compact' if small.options.compact_slots else 'crfsuite'})"
    )
