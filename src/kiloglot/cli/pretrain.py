"""``kiloglot pretrain``: continue masked-LM pretraining of an encoder on unlabelled in-domain text."""

from __future__ import annotations

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
    SeedOpt,
    err,
    friendly,
    given_options,
    out,
    progress_bar,
)
from kiloglot.data import parse_locales


@friendly
def pretrain(
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help="unlabelled text: massive:train|dev, or a file (JSON lines, 'locale<TAB>text', or plain lines "
            "with --locale)",
        ),
    ],
    out_dir: OutOpt,
    encoder: Annotated[
        str | None, typer.Option(help="'scratch' (default), 'hf:<name-or-path>' or a folder (to continue)")
    ] = None,
    locales: LocalesOpt = None,
    locale: Annotated[str | None, typer.Option("--locale", help="locale of plain text lines")] = None,
    data: DataOpt = None,
    per_locale: Annotated[int, typer.Option(help="at most N utterances per locale (0: all)")] = 0,
    epochs: EpochsOpt = None,
    batch_size: BatchSizeOpt = None,
    learning_rate: LearningRateOpt = None,
    mask_prob: Annotated[float | None, typer.Option(help="fraction of sub-words to predict (default 0.15)")] = None,
    span_masking: Annotated[
        bool | None,
        typer.Option(
            "--span-masking/--token-masking", help="mask contiguous spans (SpanBERT) or single sub-words (BERT)"
        ),
    ] = None,
    seed: SeedOpt = None,
    jobs: JobsOpt = None,
    checkpoint_dir: CheckpointOpt = None,
    option: OptionOpt = None,
) -> None:
    """Continue self-supervised pretraining (masked-LM) of an encoder on unlabelled in-domain text."""
    from kiloglot.learn.pretrain import PretrainConfig
    from kiloglot.learn.pretrain import pretrain as run_pretrain
    from kiloglot.learn.unlabeled import load_unlabeled

    config = PretrainConfig.from_options(
        **given_options(
            option,
            encoder=encoder,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            mask_prob=mask_prob,
            span_masking=span_masking,
            seed=seed,
            jobs=jobs,
            checkpoint_dir=checkpoint_dir,
        )
    )
    config.spec  # noqa: B018 - an unknown encoder is named before a million utterances are read
    chosen = parse_locales(locales, default=()) if locales else None
    texts = load_unlabeled(
        text, chosen, data=data, default_locale=locale, per_locale=per_locale, seed=config.training.seed
    )
    err.print(
        f"pretraining {config.encoder.encoder} on {len(texts):,} utterances "
        f"of {len({t.locale for t in texts})} locale(s)"
    )
    with progress_bar("pretraining", 20 * config.training.epochs) as advance:
        report = run_pretrain(texts, out_dir, config, progress=lambda note, secs: advance(1, note))
    b, a = report["before"], report["after"]
    out.print(
        f"held-out masked-token accuracy {100 * b['masked_token_accuracy']:.2f}% -> "
        f"{100 * a['masked_token_accuracy']:.2f}% (loss {b['masked_lm_loss']:.3f} -> {a['masked_lm_loss']:.3f}); "
        f"encoder saved to {out_dir}; use it with: kiloglot train --parser neural --encoder {out_dir}"
    )
