"""`kiloglot train`: train a parser on MASSIVE train and save it with its dev scores."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from kiloglot.cli.common import (
    BatchSizeOpt,
    CheckpointOpt,
    DataOpt,
    EpochsOpt,
    ExtraOpt,
    JobsOpt,
    LearningRateOpt,
    LocalesOpt,
    PatienceOpt,
    SeedOpt,
    SkipBadOpt,
    _dev_metrics,
    _loop,
    _options,
    _print_dev,
    _read,
    err,
    friendly,
    progress_bar,
)
from kiloglot.errors import DataError


@friendly
def train(
    out_dir: Annotated[Path, typer.Option("--out", help="model directory to write (replaced atomically)")],
    parser_kind: Annotated[str, typer.Option("--parser", help="parser kind: linear or neural")] = "linear",
    locales: LocalesOpt = "default",
    data: DataOpt = None,
    skip_bad: SkipBadOpt = False,
    jobs: JobsOpt = 0,
    crf_iterations: Annotated[int, typer.Option(help="linear: L-BFGS iterations of the slot CRF")] = 100,
    encoder: Annotated[str, typer.Option(help="neural: 'scratch', 'hf:<name-or-path>' or a model folder")] = "scratch",
    epochs: EpochsOpt = 10,
    batch_size: BatchSizeOpt = 64,
    learning_rate: LearningRateOpt = None,
    patience: PatienceOpt = 3,
    seed: SeedOpt = 13,
    checkpoint_dir: CheckpointOpt = None,
    option: ExtraOpt = None,
    evaluate_dev: Annotated[
        bool, typer.Option("--dev/--no-dev", help="score dev after training and store it in the manifest")
    ] = True,
) -> None:
    """Train a parser on MASSIVE train and save it (with its dev scores) to --out."""
    import os

    from kiloglot.data import parse_locales
    from kiloglot.nlu import registry
    from kiloglot.settings import Settings

    chosen = parse_locales(locales)
    cls = registry.get(parser_kind)
    options: dict[str, Any] = {"jobs": jobs or Settings.from_env().jobs}
    if parser_kind == "linear":
        options["crf_iterations"] = crf_iterations
    else:
        options.update(encoder=encoder, **_loop(epochs, batch_size, learning_rate, patience, seed, checkpoint_dir))
    options.update(_options(option))
    parser = cls(**options)
    rank0 = int(os.environ.get("RANK", "0")) == 0
    t0 = time.perf_counter()
    examples = _read(data, chosen, ["train", "dev"], skip_bad)
    train_set = [e for e in examples if e.partition == "train"]
    dev_set = [e for e in examples if e.partition == "dev"]
    missing = sorted(set(chosen) - {e.locale for e in train_set})
    if missing:
        raise DataError(f"no training records for locale(s) {', '.join(missing)} in the MASSIVE source")
    if rank0:
        err.print(
            f"read {len(train_set):,} train and {len(dev_set):,} dev records of {len(chosen)} locale(s) "
            f"in {time.perf_counter() - t0:.1f}s"
        )
    with progress_bar(f"training {parser_kind}", parser.progress_total(len(chosen))) as advance:
        parser.fit(
            train_set, dev_set, progress=lambda note, secs: advance(1, note if secs == 0 else f"{note} {secs:.0f}s")
        )
    if not rank0:
        return  # under torchrun only the first process scores and saves
    metrics = _dev_metrics(parser, dev_set) if evaluate_dev else {}
    parser.save(out_dir, metrics=metrics)
    err.print(
        f"saved {parser_kind} parser for {len(chosen)} locale(s) to {out_dir} ({time.perf_counter() - t0:.0f}s in all)"
    )
    _print_dev(metrics, "dev mean")
