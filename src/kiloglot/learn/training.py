"""Train a parser on labelled examples, score it on dev, and save it with those scores: the library call
behind ``kiloglot train`` (after spaCy's ``train_cli`` -> ``train``)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiloglot.data.example import Example
from kiloglot.errors import InputError
from kiloglot.evaluation.evaluate import dev_metrics
from kiloglot.nlu import registry
from kiloglot.nlu.contract import Progress, TrainableParser


@dataclass
class TrainingOutcome:
    parser: TrainableParser
    path: Path | None  # None in the non-main processes of a distributed run, which do not save
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def is_main_process() -> bool:
    """False in the other processes of a ``torchrun`` job (they train, the first one scores and saves)."""
    return int(os.environ.get("RANK", "0")) == 0


def train_parser(
    parser: TrainableParser | str,
    train: Sequence[Example],
    dev: Sequence[Example] = (),
    out: str | Path | None = None,
    *,
    score_dev: bool = True,
    progress: Progress | None = None,
    **options: Any,
) -> TrainingOutcome:
    """``parser`` (or ``registry.create(parser, **options)`` for a kind's name), fitted on ``train``
    (``dev`` for early stopping and calibration), scored on ``dev`` and saved to ``out`` with those
    scores in its manifest."""
    if not train:
        raise InputError("no training examples: expected at least one labelled utterance")
    if isinstance(parser, str):
        parser = registry.create(parser, **options)
    elif options:
        raise InputError("options are for a parser kind given by name; this parser has its own")
    started = time.perf_counter()
    parser.fit(train, dev, progress=progress)
    if not is_main_process():
        return TrainingOutcome(parser, None, {}, time.perf_counter() - started)
    metrics = dev_metrics(parser, dev) if score_dev else {}
    path = parser.save(out, metrics=metrics) if out is not None else None
    return TrainingOutcome(parser, path, metrics, time.perf_counter() - started)
