"""``kiloglot evaluate``: score a model on a MASSIVE partition as the MASSIVE paper does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import DataOpt, LocalesOpt, SkipBadOpt, err, friendly, out, progress_bar, read_examples
from kiloglot.data import parse_locales
from kiloglot.errors import DataError, InputError
from kiloglot.nlu import load


@friendly
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    split: Annotated[str, typer.Option("--split", help="partition to score: train, dev or test")] = "dev",
    locales: LocalesOpt = None,
    data: DataOpt = None,
    skip_bad: SkipBadOpt = False,
    report_path: Annotated[Path | None, typer.Option("--report", help="write FILE.json, FILE.md and FILE.png")] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="write MASSIVE-style predictions (jsonl)")
    ] = None,
) -> None:
    """Score a model on a MASSIVE partition exactly as the MASSIVE paper does; print the per-locale table."""
    from kiloglot.evaluation import evaluate as run_evaluation
    from kiloglot.evaluation import predictions_jsonl

    if split not in ("train", "dev", "test"):
        raise InputError(f"unknown split {split!r}: expected train, dev or test")
    parser = load(model_dir)
    chosen = parse_locales(locales, default=tuple(parser.locales))
    unknown = [loc for loc in chosen if not parser.supports(loc)]
    if unknown:
        raise InputError(f"this model was not trained on {', '.join(unknown)}: it knows {', '.join(parser.locales)}")
    examples = read_examples(data, chosen, [split], skip_bad)
    if not examples:
        raise DataError(f"no {split} records for {', '.join(chosen)} in the MASSIVE source")
    meta = {"model": str(model_dir), "split": split, "title": f"{Path(model_dir).name}: MASSIVE {split} exact match"}
    with progress_bar(f"parsing {split}", len(examples)) as advance:
        result = run_evaluation(parser, examples, locales=chosen, progress=advance, meta=meta)
    report = result.report
    out.print(report.markdown())
    m = report.mean
    out.print(
        f"mean over {len(report.per_locale)} locale(s): exact match {100 * m.exact_match:.2f}, intent accuracy "
        f"{100 * m.intent_accuracy:.2f}, slot F1 {100 * m.slot_micro_f1:.2f} "
        f"({result.utterances_per_second:,.0f} utterances/s)"
    )
    if report_path:
        files = report.write(report_path)
        err.print("wrote " + ", ".join(str(f) for f in files))
    if predictions:
        predictions_jsonl(result.examples, result.parses, predictions)
        err.print(f"wrote {predictions}")
