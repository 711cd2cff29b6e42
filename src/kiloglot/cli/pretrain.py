"""`kiloglot pretrain`: continue masked-LM pretraining of an encoder on unlabelled text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    SeedOpt,
    _options,
    _unlabeled,
    err,
    friendly,
    out,
    progress_bar,
)
from kiloglot.errors import InputError


@friendly
def pretrain(
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help="unlabelled text: massive:train|dev, or a file (JSON lines, 'locale<TAB>text', or plain lines with --locale)",
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="encoder folder to write (replaced atomically)")],
    encoder: Annotated[str, typer.Option(help="'scratch', 'hf:<name-or-path>' or a folder (to continue)")] = "scratch",
    locales: LocalesOpt = None,
    locale: Annotated[str | None, typer.Option("--locale", help="locale of plain text lines")] = None,
    data: DataOpt = None,
    per_locale: Annotated[int, typer.Option(help="at most N utterances per locale (0: all)")] = 0,
    epochs: EpochsOpt = 3,
    batch_size: BatchSizeOpt = 64,
    learning_rate: LearningRateOpt = None,
    mask_prob: Annotated[float, typer.Option(help="fraction of sub-words to predict")] = 0.15,
    span_masking: Annotated[
        bool,
        typer.Option(
            "--span-masking/--token-masking", help="mask contiguous spans (SpanBERT) or single sub-words (BERT)"
        ),
    ] = False,
    seed: SeedOpt = 13,
    jobs: JobsOpt = 0,
    checkpoint_dir: CheckpointOpt = None,
    option: ExtraOpt = None,
) -> None:
    """Continue self-supervised pretraining (masked-LM) of an encoder on unlabelled in-domain text."""
    import torch

    from kiloglot.learn.pretrain import PretrainOptions, check_options
    from kiloglot.learn.pretrain import pretrain as run_pretrain
    from kiloglot.settings import Settings

    extra = _options(option)
    known = set(PretrainOptions.__dataclass_fields__)
    unknown = sorted(set(extra) - known)
    if unknown:
        raise InputError(
            f"unknown pretraining option(s) {', '.join(unknown)}: expected some of {', '.join(sorted(known))}"
        )
    opts = PretrainOptions(
        encoder=encoder,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        mask_prob=mask_prob,
        span_masking=span_masking,
        seed=seed,
        checkpoint_dir=str(checkpoint_dir) if checkpoint_dir else None,
        **extra,
    )
    check_options(opts)  # before reading what may be a million utterances
    torch.set_num_threads(jobs or Settings.from_env().jobs)
    texts = _unlabeled(text, locales, data, locale, per_locale, seed)
    err.print(f"pretraining {encoder} on {len(texts):,} utterances of {len({t.locale for t in texts})} locale(s)")
    with progress_bar("pretraining", 20 * epochs) as advance:
        report = run_pretrain(
            texts,
            out_dir,
            opts,
            progress=lambda note, secs: advance(1, note),
            log=lambda m: err.print(m, highlight=False),
        )
    b, a = report["before"], report["after"]
    out.print(
        f"held-out masked-token accuracy {100 * b['masked_token_accuracy']:.2f}% -> {100 * a['masked_token_accuracy']:.2f}% "
        f"(loss {b['masked_lm_loss']:.3f} -> {a['masked_lm_loss']:.3f}); encoder saved to {out_dir}; "
        f"use it with: kiloglot train --parser neural --encoder {out_dir}"
    )
