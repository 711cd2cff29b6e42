"""What every command shares: consoles, option types, one-line errors, progress bars, logging, reading MASSIVE.

Commands parse flags and call one library function each; what they share lives here, so that each
command module stays a page long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from kiloglot.data import Example, MassiveReader, resolve_massive_source
from kiloglot.errors import KiloglotError
from kiloglot.options import parse_assignments
from kiloglot.settings import Settings

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DataOpt = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="MASSIVE .tar.gz, folder or .jsonl (default: $KILOGLOT_MASSIVE, the copy `kiloglot data use` "
        "registered, else the official download)",
    ),
]
LocalesOpt = Annotated[
    str | None, typer.Option("--locales", help="'all', 'default' or comma-separated locales, e.g. en-US,de-DE")
]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="skip and count malformed records instead of stopping")]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-o",
        help="an option KEY=VALUE, repeatable; the parser kind's options (`kiloglot options KIND` lists them), "
        "e.g. -o dim=128 -o layers=2 (neural), -o intent_density=0.05 (linear)",
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="directory to write (replaced atomically)")]
# Flags for the options every training run has; unset flags leave the option's own default.
EpochsOpt = Annotated[int | None, typer.Option("--epochs", help="neural: maximum passes over the training data")]
BatchSizeOpt = Annotated[
    int | None, typer.Option("--batch-size", help="neural: utterances per batch (per process under torchrun)")
]
LearningRateOpt = Annotated[
    float | None,
    typer.Option(
        "--learning-rate",
        help="neural: peak learning rate (default 5e-4 for a scratch encoder, 5e-5 for a Hugging Face one "
        "or to continue pretraining)",
    ),
]
PatienceOpt = Annotated[
    int | None, typer.Option("--patience", help="neural: epochs without dev improvement before stopping (0: never)")
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="random seed (sampling and training)")]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs", help="torch threads (neural) or worker processes (linear); default: $KILOGLOT_JOBS or all cores"
    ),
]
CheckpointOpt = Annotated[
    Path | None,
    typer.Option("--checkpoint-dir", help="neural: checkpoint here every epoch; resume from it if present"),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL for dialogue state (default: $KILOGLOT_DATABASE, else a SQLite file in the cache)"
    ),
]
TzOpt = Annotated[str, typer.Option("--timezone", help="IANA time zone for sessions that name none")]


@cache
def settings() -> Settings:
    return Settings.from_env()


def setup_logging() -> None:
    """Library modules log; the command line shows INFO and above (``$KILOGLOT_LOG_LEVEL``) on stderr."""
    root = logging.getLogger("kiloglot")
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(console=err, show_time=False, show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    root.setLevel(settings().log_level)


def friendly(fn: F) -> F:
    """Turn expected failures into one clear line on stderr and a non-zero exit, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            setup_logging()
            return fn(*args, **kwargs)
        except KiloglotError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("[bold red]interrupted[/]: nothing was written")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[..., None]]:
    """``advance(n=1, note="")`` moves a bar with elapsed time and ETA on stderr."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
    ]
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task(description, total=total, note="")

        def advance(n: int = 1, note: str = "") -> None:
            progress.update(task, advance=n, note=note)

        yield advance


def given_options(option: list[str] | None = None, **flags: Any) -> dict[str, Any]:
    """The options a command was given: ``-o KEY=VALUE`` items (parsed into each option's declared type
    where they meet it) and the flags that were set, as one dict for the library's one options path."""
    given: dict[str, Any] = {k: v for k, v in flags.items() if v is not None}
    for key, value in parse_assignments(option or []).items():
        given[key] = value
    for key in ("jobs",):
        if key not in given and settings().jobs:
            given[key] = settings().jobs
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in given.items()}


def massive_source(data: str | None) -> Path:
    """The MASSIVE source, downloading the official archive (with a progress bar) when none is found."""
    state: dict[str, Any] = {}

    def progress(done: int, total: int | None) -> None:
        if "bar" not in state:
            columns = [*Progress.get_default_columns()[:-1], DownloadColumn(), TransferSpeedColumn()]
            state["bar"] = Progress(*columns, console=err)
            state["bar"].start()
            state["task"] = state["bar"].add_task("downloading MASSIVE", total=total)
        state["bar"].update(state["task"], completed=done)

    try:
        return resolve_massive_source(data, settings=settings(), progress=progress)
    finally:
        if "bar" in state:
            state["bar"].stop()


def read_examples(
    data: str | None, locales: list[str] | None, partitions: list[str] | None, skip_bad: bool
) -> list[Example]:
    """MASSIVE records of these locales and partitions; skipped malformed records are reported."""
    reader = MassiveReader(massive_source(data), locales, partitions, skip_bad)
    examples = reader.read()
    if reader.skipped:
        first = reader.skipped[0]
        err.print(
            f"[yellow]skipped {len(reader.skipped)} malformed record(s)[/]; first: "
            f"{first.source}, line {first.line}: {first.problem}"
        )
    return examples


def print_dev(metrics: dict[str, Any], label: str) -> None:
    if "dev" in metrics:
        m = metrics["dev"]["mean"]
        out.print(
            f"{label}: exact match {100 * m['exact_match']:.1f}, intent accuracy {100 * m['intent_accuracy']:.1f}, "
            f"slot F1 {100 * m['slot_micro_f1']:.1f}"
        )


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
