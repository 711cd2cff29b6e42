"""``kiloglot options`` and ``kiloglot upgrade``: what a parser kind takes; old model folders made current."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kiloglot.cli.common import err, friendly, out
from kiloglot.nlu import read_manifest, registry
from kiloglot.nlu.artifact import FORMAT_VERSION
from kiloglot.nlu.contract import TrainableParser
from kiloglot.options import describe


@friendly
def options(kind: Annotated[str, typer.Argument(help="parser kind, e.g. linear or neural")] = "linear") -> None:
    """The options a parser kind takes (give them with -o KEY=VALUE), by group, with defaults."""
    cls = registry.get(kind)
    if not issubclass(cls, TrainableParser):
        out.print(f"parser kind {kind!r} is loaded from saved models; it takes no options")
        return
    table = Table(title=f"options of the {kind} parser")
    for col in ("option", "group", "type", "default"):
        table.add_column(col)
    for group, options_cls in cls.option_groups().items():
        hints = typing.get_type_hints(options_cls)
        for f in dataclasses.fields(options_cls):
            table.add_row(f.name, group, describe(hints[f.name]), repr(f.default))
    out.print(table)


@friendly
def upgrade(
    model_dir: Annotated[Path, typer.Argument(help="model directory saved by an earlier kiloglot")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="write here instead of in place")] = None,
) -> None:
    """Rewrite a model saved in an older artifact format in the current one (same parses)."""
    raw = read_manifest(model_dir)
    path = registry.upgrade(model_dir, out_dir)
    err.print(f"{model_dir} ({raw['kind']}, read as format {FORMAT_VERSION}) -> {path} (format {FORMAT_VERSION})")
