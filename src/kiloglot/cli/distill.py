"""``kiloglot distill``: a teacher's knowledge into a student, on labelled and unlabelled utterances."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import (
    BatchSizeOpt,
    CheckpointOpt,
    DataOpt,
    EpochsOpt,
    JobsOpt,
    LearningRateOpt,
    OptionOpt,
    OutOpt,
    PatienceOpt,
    SeedOpt,
    err,
    friendly,
    given_options,
    print_dev,
    progress_bar,
    read_examples,
)
from kiloglot.data import parse_locales
from kiloglot.errors import InputError
from kiloglot.nlu.artifact import MANIFEST_FILE

UnlabeledOpt = Annotated[
    str | None,
    typer.Option(
        "--unlabeled",
        help="unlabelled text: massive:train, or a file (JSON lines / 'locale<TAB>text' / plain lines with --locale)",
    ),
]


@friendly
def distill(
    teacher: Annotated[
        Path, typer.Option("--teacher", help="teacher model directory (any kind; neural gives soft targets)")
    ],
    student: Annotated[str, typer.Option("--student", help="'linear' or 'neural'; its options with -o KEY=VALUE")],
    out_dir: OutOpt,
    unlabeled: UnlabeledOpt = None,
    unlabeled_locales: Annotated[
        str | None, typer.Option(help="keep unlabelled text of these locales ('all' or a list)")
    ] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="locale of plain unlabelled lines")] = None,
    per_locale: Annotated[int, typer.Option(help="at most N unlabelled utterances per locale (0: all)")] = 0,
    labeled_locales: Annotated[
        str, typer.Option(help="locales whose gold train labels are used ('none' for none)")
    ] = "en-US",
    dev_locales: Annotated[
        str | None,
        typer.Option(help="dev locales for early stopping and the saved scores (default: the labelled ones)"),
    ] = None,
    data: DataOpt = None,
    temperature: Annotated[float, typer.Option(help="softmax temperature of the soft targets")] = 2.0,
    hard_weight: Annotated[float, typer.Option(help="weight of the hard-label loss (the rest: soft targets)")] = 0.5,
    targets_cache: Annotated[
        Path | None,
        typer.Option(
            help="keep the teacher's targets per utterance in this .npz: later runs of the same teacher and "
            "temperature reuse them for any subset and label only new text"
        ),
    ] = None,
    epochs: EpochsOpt = None,
    batch_size: BatchSizeOpt = None,
    learning_rate: LearningRateOpt = None,
    patience: PatienceOpt = None,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    checkpoint_dir: CheckpointOpt = None,
    option: OptionOpt = None,
) -> None:
    """Distil a teacher into a small student on labelled plus unlabelled utterances (both heads, temperature)."""
    from kiloglot.learn.distill import StudentSpec, distill_and_save
    from kiloglot.learn.unlabeled import load_unlabeled
    from kiloglot.nlu import registry

    options = given_options(
        option,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        seed=seed,
        checkpoint_dir=checkpoint_dir,
    )
    spec = StudentSpec.parse(student, options)
    registry.create(spec.kind, **spec.options)  # bad student options are refused before any work
    if not (teacher / MANIFEST_FILE).is_file():
        raise InputError(f"teacher {teacher} is not a model directory (no {MANIFEST_FILE})")
    gold_locales = [] if labeled_locales == "none" else parse_locales(labeled_locales)
    dev_chosen = parse_locales(dev_locales) if dev_locales else gold_locales
    wanted = sorted(set(gold_locales) | set(dev_chosen))
    examples = read_examples(data, wanted, ["train", "dev"], False) if wanted else []
    labelled = [e for e in examples if e.partition == "train" and e.locale in gold_locales]
    dev = [e for e in examples if e.partition == "dev" and e.locale in dev_chosen]
    chosen = parse_locales(unlabeled_locales, default=()) if unlabeled_locales else None
    texts = (
        load_unlabeled(unlabeled, chosen, data=data, default_locale=locale, per_locale=per_locale, seed=seed or 13)
        if unlabeled
        else []
    )
    err.print(
        f"distilling {teacher} into {student}: {len(labelled):,} labelled utterances "
        f"({', '.join(gold_locales) or 'none'}), {len(texts):,} unlabelled of "
        f"{len({t.locale for t in texts})} locale(s)"
    )
    with progress_bar("distilling", len(labelled) + len(texts)) as advance:
        state = {"done": 0}

        def progress(note: str, done: int, total: int) -> None:
            advance(max(0, done - state["done"]), note)
            state["done"] = max(state["done"], done)

        _, metrics = distill_and_save(
            out_dir,
            teacher,
            spec,
            labelled,
            texts,
            dev=dev,
            temperature=temperature,
            hard_weight=hard_weight,
            cache=targets_cache,
            jobs=jobs or given_options().get("jobs"),
            progress=progress,
        )
    report = metrics["distillation"]
    err.print(
        f"saved the {spec.kind} student to {out_dir} (teacher labelling {report['teacher_seconds']:.0f}s, "
        f"student training {report['student_seconds']:.0f}s)"
    )
    print_dev(metrics, f"dev mean over {', '.join(dev_chosen)}")
