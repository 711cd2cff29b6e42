"""What every command shares: consoles, option types, one-line errors, progress bars, reading MASSIVE."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from kiloglot.errors import DataError, InputError, KiloglotError

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DataOpt = Annotated[
    str | None,
    typer.Option(
        "--data", help="MASSIVE .tar.gz, folder or .jsonl (default: $KILOGLOT_MASSIVE, ../shared, else download)"
    ),
]
LocalesOpt = Annotated[
    str | None, typer.Option("--locales", help="'all', 'default' or comma-separated locales, e.g. en-US,de-DE")
]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="skip and count malformed records instead of stopping")]
# Training-loop flags shared by train, pretrain and distill (neural models): one declaration each.
EpochsOpt = Annotated[int, typer.Option("--epochs", help="neural: maximum passes over the training data")]
BatchSizeOpt = Annotated[
    int, typer.Option("--batch-size", help="neural: utterances per batch (per process under torchrun)")
]
LearningRateOpt = Annotated[
    float | None,
    typer.Option(
        "--learning-rate",
        help="neural: peak learning rate (default 5e-4 for a scratch encoder, 5e-5 for a Hugging Face one or to continue pretraining)",
    ),
]
PatienceOpt = Annotated[
    int, typer.Option("--patience", help="neural: epochs without dev improvement before stopping (0: never)")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (sampling and training)")]
JobsOpt = Annotated[
    int, typer.Option("--jobs", help="torch threads (neural) or worker processes (linear); default: all cores")
]
CheckpointOpt = Annotated[
    Path | None,
    typer.Option("--checkpoint-dir", help="neural: checkpoint here every epoch; resume from it if present"),
]
ExtraOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-o",
        help="extra parser option KEY=VALUE, e.g. neural: -o dim=128 -o layers=2; linear: -o intent_density=0.05 -o crf_c1=0.5",
    ),
]


def friendly(fn: F) -> F:
    """Turn expected failures into one clear line on stderr and a non-zero exit, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
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


def _read(data: str | None, locales: list[str] | None, partitions: list[str] | None, skip_bad: bool):
    from kiloglot.data import MassiveReader, resolve_massive_source

    reader = MassiveReader(resolve_massive_source(data), locales, partitions, skip_bad)
    examples = reader.read()
    if reader.skipped:
        err.print(
            f"[yellow]skipped {len(reader.skipped)} malformed record(s)[/]; first: "
            f"{reader.skipped[0].source}, line {reader.skipped[0].line}: {reader.skipped[0].problem}"
        )
    return examples


def _dev_metrics(parser: Any, dev: list) -> dict[str, Any]:
    """Dev scores to store in the manifest ({} without dev data)."""
    from kiloglot.evaluation import build_report

    if not dev:
        return {}
    report = build_report(dev, parser.parse_examples(dev))
    return {
        "dev": {"mean": report.mean.as_dict(), "per_locale": {k: v.as_dict() for k, v in report.per_locale.items()}}
    }


def _print_dev(metrics: dict[str, Any], label: str) -> None:
    if "dev" in metrics:
        m = metrics["dev"]["mean"]
        out.print(
            f"{label}: exact match {100 * m['exact_match']:.1f}, intent accuracy {100 * m['intent_accuracy']:.1f}, "
            f"slot F1 {100 * m['slot_micro_f1']:.1f}"
        )


def _read_lines(path: Path) -> list[str]:
    if str(path) == "-":
        raw = sys.stdin.buffer.read()
    else:
        if not path.is_file():
            raise InputError(f"input file {path} does not exist")
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"input {path} is not valid UTF-8 (line {line}, byte {exc.start}): expected UTF-8 text"
        ) from None
    return [ln for ln in text.splitlines() if ln.strip()]


def _loop(
    epochs: int, batch_size: int, learning_rate: float | None, patience: int, seed: int, checkpoint_dir: Path | None
) -> dict[str, Any]:
    """The training-loop options of a neural model, from the shared flags."""
    return {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "patience": patience,
        "seed": seed,
        "checkpoint_dir": str(checkpoint_dir) if checkpoint_dir else None,
    }


def _options(items: list[str] | None) -> dict[str, Any]:
    from kiloglot.settings import parse_option

    options: dict[str, Any] = {}
    for item in items or []:
        try:
            key, value = parse_option(item)
        except ValueError as exc:
            raise InputError(f"--{exc}") from None
        options[key] = value
    return options


def _unlabeled(source: str, locales: str | None, data: str | None, locale: str | None, per_locale: int, seed: int):
    from kiloglot.data import parse_locales
    from kiloglot.learn.unlabeled import read_unlabeled, sample_per_locale

    chosen = parse_locales(locales, default=()) if locales else None
    texts = read_unlabeled(source, chosen, data=data, default_locale=locale)
    if not texts:
        raise DataError(f"no unlabelled utterances in {source}" + (f" for {locales}" if locales else ""))
    return sample_per_locale(texts, per_locale or None, seed)


def _database(db: str | None) -> str:
    import os

    from kiloglot.assistant.store import default_url
    from kiloglot.settings import Settings

    return db or os.environ.get("KILOGLOT_DATABASE") or default_url(Settings.from_env().cache_dir)


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL for dialogue state (default: $KILOGLOT_DATABASE, else a SQLite file in the cache)"
    ),
]
TzOpt = Annotated[str, typer.Option("--timezone", help="IANA time zone for sessions that name none")]
