"""`kiloglot distill`: a teacher's knowledge into a small student."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kiloglot.cli.common import (
    BatchSizeOpt,
    CheckpointOpt,
    DataOpt,
    EpochsOpt,
    JobsOpt,
    LearningRateOpt,
    PatienceOpt,
    SeedOpt,
    _dev_metrics,
    _loop,
    _print_dev,
    _read,
    _unlabeled,
    err,
    friendly,
    progress_bar,
)
from kiloglot.errors import InputError


@friendly
def distill(
    teacher: Annotated[
        Path, typer.Option("--teacher", help="teacher model directory (any kind; neural gives soft targets)")
    ],
    student: Annotated[
        str, typer.Option("--student", help="'linear' or 'neural[:key=value,...]', e.g. neural:dim=128,layers=2")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="student model directory to write (replaced atomically)")],
    unlabeled: Annotated[
        str | None,
        typer.Option(
            "--unlabeled",
            help="unlabelled text: massive:train, or a file (JSON lines / 'locale<TAB>text' / plain with --locale)",
        ),
    ] = None,
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
            help="keep the teacher's targets per utterance in this .npz: later runs of the same teacher and temperature reuse them for any subset and label only new text"
        ),
    ] = None,
    epochs: EpochsOpt = 10,
    batch_size: BatchSizeOpt = 64,
    learning_rate: LearningRateOpt = None,
    patience: PatienceOpt = 3,
    seed: SeedOpt = 13,
    jobs: JobsOpt = 0,
    checkpoint_dir: CheckpointOpt = None,
) -> None:
    """Distil a teacher into a small student on labelled plus unlabelled utterances (both heads, temperature)."""
    from kiloglot.data import parse_locales
    from kiloglot.learn.distill import StudentSpec
    from kiloglot.learn.distill import distill as run_distill
    from kiloglot.settings import Settings

    spec = StudentSpec.parse(student)
    if spec.kind == "neural":
        spec = StudentSpec(
            "neural", {**_loop(epochs, batch_size, learning_rate, patience, seed, checkpoint_dir), **spec.options}
        )
    if not (teacher / "manifest.json").is_file():
        raise InputError(f"teacher {teacher} is not a model directory (no manifest.json)")
    gold_locales = [] if labeled_locales == "none" else parse_locales(labeled_locales)
    dev_chosen = parse_locales(dev_locales) if dev_locales else gold_locales
    wanted = sorted(set(gold_locales) | set(dev_chosen))
    examples = _read(data, wanted, ["train", "dev"], False) if wanted else []
    labelled = [e for e in examples if e.partition == "train" and e.locale in gold_locales]
    dev = [e for e in examples if e.partition == "dev" and e.locale in dev_chosen]
    texts = _unlabeled(unlabeled, unlabeled_locales, data, locale, per_locale, seed) if unlabeled else []
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

        model, report = run_distill(
            teacher,
            spec,
            labelled,
            texts,
            dev=dev,
            temperature=temperature,
            hard_weight=hard_weight,
            cache=targets_cache,
            jobs=jobs or Settings.from_env().jobs,
            progress=progress,
            log=lambda m: err.print(m, highlight=False),
        )
    metrics: dict[str, Any] = {"distillation": report, **_dev_metrics(model, dev)}
    model.save(out_dir, metrics=metrics)
    err.print(
        f"saved the {spec.kind} student to {out_dir} (teacher labelling {report['teacher_seconds']:.0f}s, "
        f"student training {report['student_seconds']:.0f}s)"
    )
    _print_dev(metrics, f"dev mean over {', '.join(dev_chosen)}")
