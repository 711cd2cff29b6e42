"""``kiloglot train``: train a parser on MASSIVE train, score it on dev and save it."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from kiloglot.cli.common import (
    BatchSizeOpt,
    CheckpointOpt,
    DataOpt,
    EpochsOpt,
    JobsOpt,
    LearningRateOpt,
    LocalesOpt,
    OptionOpt,
    OutOpt,
    PatienceOpt,
    SeedOpt,
    SkipBadOpt,
    err,
    friendly,
    given_options,
    print_dev,
    progress_bar,
    read_examples,
)
from kiloglot.data import parse_locales
from kiloglot.errors import DataError
from kiloglot.nlu import registry


@friendly
def train(
    out_dir: OutOpt,
    parser_kind: Annotated[str, typer.Option("--parser", help="parser kind: linear or neural")] = "linear",
    locales: LocalesOpt = "default",
    data: DataOpt = None,
    skip_bad: SkipBadOpt = False,
    encoder: Annotated[
        str | None, typer.Option(help="neural: 'scratch', 'hf:<name-or-path>' or a folder from `kiloglot pretrain`")
    ] = None,
    epochs: EpochsOpt = None,
    batch_size: BatchSizeOpt = None,
    learning_rate: LearningRateOpt = None,
    patience: PatienceOpt = None,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    checkpoint_dir: CheckpointOpt = None,
    option: OptionOpt = None,
    evaluate_dev: Annotated[
        bool, typer.Option("--dev/--no-dev", help="score dev after training and store it in the manifest")
    ] = True,
    langid: Annotated[
        bool,
        typer.Option(
            "--langid/--no-langid",
            help="also train a language identifier over the locales (MODEL/langid), for turns without a locale",
        ),
    ] = True,
    asr_noise: Annotated[
        float,
        typer.Option(
            "--asr-noise",
            help="ASR-robust training: add one copy of each training utterance with simulated recognition errors, "
            "words heard as look-alikes at this rate (drops and insertions at half and a quarter of it); 0: none",
        ),
    ] = 0.0,
) -> None:
    """Train a parser on MASSIVE train and save it (with its dev scores) to --out."""
    from kiloglot.learn.training import is_main_process, train_parser

    options = given_options(
        option,
        encoder=encoder,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        seed=seed,
        jobs=jobs,
        checkpoint_dir=checkpoint_dir,
    )
    parser = registry.create(parser_kind, **options)  # bad options are refused before the data is read
    chosen = parse_locales(locales)
    started = time.perf_counter()
    examples = read_examples(data, chosen, ["train", "dev"], skip_bad)
    train_set = [e for e in examples if e.partition == "train"]
    dev_set = [e for e in examples if e.partition == "dev"]
    if asr_noise > 0:
        from kiloglot.learn.asr_noise import NoiseSettings, noisy_copies

        noise = NoiseSettings(substitute=asr_noise, drop=asr_noise / 2, insert=asr_noise / 4)
        noisy = noisy_copies(train_set, noise)
        err.print(f"{len(noisy):,} copies with simulated recognition errors added")
        train_set = [*train_set, *noisy]
    missing = sorted(set(chosen) - {e.locale for e in train_set})
    if missing:
        raise DataError(f"no training records for locale(s) {', '.join(missing)} in the MASSIVE source")
    if is_main_process():
        err.print(
            f"read {len(train_set):,} train and {len(dev_set):,} dev records of {len(chosen)} locale(s) "
            f"in {time.perf_counter() - started:.1f}s"
        )
    with progress_bar(f"training {parser_kind}", parser.progress_total(len(chosen))) as advance:
        outcome = train_parser(
            parser,
            train_set,
            dev_set,
            out_dir,
            score_dev=evaluate_dev,
            progress=lambda note, secs: advance(1, note if secs == 0 else f"{note} {secs:.0f}s"),
        )
    if outcome.path is None:
        return  # under torchrun only the first process scores and saves
    if langid and len(chosen) > 1:
        from kiloglot.langid import NgramIdentifier

        NgramIdentifier.fit([e.text for e in train_set], [e.locale for e in train_set]).save(outcome.path / "langid")
    err.print(
        f"saved {parser_kind} parser for {len(chosen)} locale(s) to {outcome.path} "
        f"({time.perf_counter() - started:.0f}s in all)"
    )
    print_dev(outcome.metrics, "dev mean")
