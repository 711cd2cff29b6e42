"""``kiloglot ensemble``: combine trained models into one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import OutOpt, directory_size, err, friendly
from kiloglot.errors import InputError


@friendly
def ensemble(
    models: Annotated[
        list[Path],
        typer.Argument(
            help="two or more trained model directories; the first labels the slots unless --slot-member says otherwise"
        ),
    ],
    out: OutOpt,
    weights: Annotated[
        str | None, typer.Option("--weights", help="comma-separated intent weights, one per model (default: equal)")
    ] = None,
    slot_member: Annotated[
        int, typer.Option("--slot-member", help="index of the model whose slots are used (0: the first)")
    ] = 0,
) -> None:
    """Combine trained models: they vote on the intent, one labels the slots (given that intent)."""
    from kiloglot.nlu.ensemble import EnsembleParser

    w = None
    if weights is not None:
        try:
            w = [float(x) for x in weights.split(",")]
        except ValueError:
            raise InputError(f"--weights {weights!r}: expected comma-separated numbers such as 0.5,0.5") from None
    parser = EnsembleParser.from_paths(models, weights=w, slot_member=slot_member)
    path = parser.save(out)
    size = directory_size(path)
    err.print(
        f"ensemble of {len(models)} models -> {path} (weights {', '.join(f'{x:.3g}' for x in parser.weights)}; "
        f"slots from {models[slot_member]}; {size / 1e6:.1f} MB, member files hard-linked where possible)"
    )
