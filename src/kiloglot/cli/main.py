"""The ``kiloglot`` command: thin wrappers that parse flags, call the library and print."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from kiloglot.errors import DataError, InputError, KiloglotError

app = typer.Typer(help="kiloglot: massively multilingual NLU for virtual assistants.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
data_app = typer.Typer(help="Inspect corpora.", no_args_is_help=True)
app.add_typer(data_app, name="data")
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DataOpt = Annotated[Optional[str], typer.Option("--data", help="MASSIVE .tar.gz, folder or .jsonl (default: $KILOGLOT_MASSIVE, ../shared, else download)")]
LocalesOpt = Annotated[Optional[str], typer.Option("--locales", help="'all', 'default' or comma-separated locales, e.g. en-US,de-DE")]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="skip and count malformed records instead of stopping")]
# Training-loop flags shared by train, pretrain and distill (neural models): one declaration each.
EpochsOpt = Annotated[int, typer.Option("--epochs", help="neural: maximum passes over the training data")]
BatchSizeOpt = Annotated[int, typer.Option("--batch-size", help="neural: utterances per batch (per process under torchrun)")]
LearningRateOpt = Annotated[Optional[float], typer.Option("--learning-rate", help="neural: peak learning rate (default 5e-4 for a scratch encoder, 5e-5 for a Hugging Face one or to continue pretraining)")]
PatienceOpt = Annotated[int, typer.Option("--patience", help="neural: epochs without dev improvement before stopping (0: never)")]
SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (sampling and training)")]
JobsOpt = Annotated[int, typer.Option("--jobs", help="torch threads (neural) or worker processes (linear); default: all cores")]
CheckpointOpt = Annotated[Optional[Path], typer.Option("--checkpoint-dir", help="neural: checkpoint here every epoch; resume from it if present")]
ExtraOpt = Annotated[Optional[list[str]], typer.Option("--option", "-o", help="extra parser option KEY=VALUE, e.g. neural: -o dim=128 -o layers=2; linear: -o intent_density=0.05 -o crf_c1=0.5")]


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
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[note]}")]
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
        err.print(f"[yellow]skipped {len(reader.skipped)} malformed record(s)[/]; first: "
                  f"{reader.skipped[0].source}, line {reader.skipped[0].line}: {reader.skipped[0].problem}")
    return examples


# ------------------------------------------------------------------------------------------------
@data_app.command("info")
@friendly
def data_info(data: DataOpt = None, locales: LocalesOpt = "all", skip_bad: SkipBadOpt = False,
              as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False) -> None:
    """Locales, partitions, counts, intents and slots of a MASSIVE source."""
    from kiloglot.data import LOCALES, parse_locales

    chosen = parse_locales(locales)
    examples = _read(data, chosen, None, skip_bad)
    counts: dict[str, Counter[str]] = {}
    intents: Counter[str] = Counter()
    slots: Counter[str] = Counter()
    for ex in examples:
        counts.setdefault(ex.locale, Counter())[ex.partition] += 1
        intents[ex.intent] += 1
        for s in ex.spans:
            slots[s.name] += 1
    partitions = sorted({p for c in counts.values() for p in c}, key=lambda p: ("train", "dev", "test").index(p) if p in ("train", "dev", "test") else 9)
    scenarios = sorted({i.split("_", 1)[0] for i in intents})
    if as_json:
        out.print_json(json.dumps({"locales": {k: dict(v) for k, v in sorted(counts.items())}, "records": len(examples),
                                   "scenarios": scenarios, "intents": dict(sorted(intents.items())),
                                   "slots": dict(sorted(slots.items()))}, ensure_ascii=False))
        return
    table = Table(title=f"MASSIVE: {len(examples):,} records")
    for col in ["locale", "language", "script", "family", *partitions]:
        table.add_column(col, justify="right" if col in partitions else "left")
    for loc, c in sorted(counts.items()):
        info = LOCALES[loc]
        table.add_row(loc, info.language, info.script, info.family, *(f"{c[p]:,}" for p in partitions))
    out.print(table)
    out.print(f"{len(counts)} locales, {len(scenarios)} scenarios, {len(intents)} intents, {len(slots)} slot types")
    out.print("[bold]intents:[/] " + ", ".join(sorted(intents)), soft_wrap=True)
    out.print("[bold]slots:[/] " + ", ".join(sorted(slots)), soft_wrap=True)


# ------------------------------------------------------------------------------------------------
@app.command()
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
    evaluate_dev: Annotated[bool, typer.Option("--dev/--no-dev", help="score dev after training and store it in the manifest")] = True,
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
        err.print(f"read {len(train_set):,} train and {len(dev_set):,} dev records of {len(chosen)} locale(s) "
                  f"in {time.perf_counter() - t0:.1f}s")
    with progress_bar(f"training {parser_kind}", parser.progress_total(len(chosen))) as advance:
        parser.fit(train_set, dev_set, progress=lambda note, secs: advance(1, note if secs == 0 else f"{note} {secs:.0f}s"))
    if not rank0:
        return  # under torchrun only the first process scores and saves
    metrics = _dev_metrics(parser, dev_set) if evaluate_dev else {}
    parser.save(out_dir, metrics=metrics)
    err.print(f"saved {parser_kind} parser for {len(chosen)} locale(s) to {out_dir} "
              f"({time.perf_counter() - t0:.0f}s in all)")
    _print_dev(metrics, "dev mean")


def _dev_metrics(parser: Any, dev: list) -> dict[str, Any]:
    """Dev scores to store in the manifest ({} without dev data)."""
    from kiloglot.evaluation import build_report

    if not dev:
        return {}
    report = build_report(dev, parser.parse_examples(dev))
    return {"dev": {"mean": report.mean.as_dict(), "per_locale": {k: v.as_dict() for k, v in report.per_locale.items()}}}


def _print_dev(metrics: dict[str, Any], label: str) -> None:
    if "dev" in metrics:
        m = metrics["dev"]["mean"]
        out.print(f"{label}: exact match {100 * m['exact_match']:.1f}, intent accuracy {100 * m['intent_accuracy']:.1f}, "
                  f"slot F1 {100 * m['slot_micro_f1']:.1f}")


# ------------------------------------------------------------------------------------------------
@app.command()
@friendly
def evaluate(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    split: Annotated[str, typer.Option("--split", help="partition to score: train, dev or test")] = "dev",
    locales: LocalesOpt = None,
    data: DataOpt = None,
    skip_bad: SkipBadOpt = False,
    report_path: Annotated[Optional[Path], typer.Option("--report", help="write FILE.json, FILE.md and FILE.png")] = None,
    predictions: Annotated[Optional[Path], typer.Option("--predictions", help="write MASSIVE-style predictions (jsonl)")] = None,
) -> None:
    """Score a model on a MASSIVE partition exactly as the MASSIVE paper does; print the per-locale table."""
    from kiloglot.data import parse_locales
    from kiloglot.evaluation import build_report, predictions_jsonl
    from kiloglot.nlu import load

    if split not in ("train", "dev", "test"):
        raise InputError(f"unknown split {split!r}: expected train, dev or test")
    parser = load(model_dir)
    chosen = parse_locales(locales, default=tuple(parser.locales))
    unknown = [l for l in chosen if not parser.supports(l)]
    if unknown:
        raise InputError(f"this model was not trained on {', '.join(unknown)}: it knows {', '.join(parser.locales)}")
    examples = _read(data, chosen, [split], skip_bad)
    if not examples:
        raise DataError(f"no {split} records for {', '.join(chosen)} in the MASSIVE source")
    parses = []
    by_locale: dict[str, list] = {}
    for ex in examples:
        by_locale.setdefault(ex.locale, []).append(ex)
    ordered = [ex for loc in chosen for ex in by_locale.get(loc, [])]
    t0 = time.perf_counter()
    with progress_bar(f"parsing {split}", len(ordered)) as advance:
        for loc in chosen:
            group = by_locale.get(loc, [])
            for i in range(0, len(group), 256):
                batch = group[i:i + 256]
                parses.extend(parser.parse([e.text for e in batch], loc))
                advance(len(batch), loc)
    seconds = time.perf_counter() - t0
    report = build_report(ordered, parses, {"model": str(model_dir), "split": split,
                                            "title": f"{Path(model_dir).name}: MASSIVE {split} exact match"})
    out.print(report.markdown())
    m = report.mean
    out.print(f"mean over {len(report.per_locale)} locale(s): exact match {100 * m.exact_match:.2f}, intent accuracy "
              f"{100 * m.intent_accuracy:.2f}, slot F1 {100 * m.slot_micro_f1:.2f} ({len(ordered) / seconds:,.0f} utterances/s)")
    if report_path:
        files = report.write(report_path)
        err.print("wrote " + ", ".join(str(f) for f in files))
    if predictions:
        predictions_jsonl(ordered, parses, predictions)
        err.print(f"wrote {predictions}")


# ------------------------------------------------------------------------------------------------
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
        raise InputError(f"input {path} is not valid UTF-8 (line {line}, byte {exc.start}): expected UTF-8 text") from None
    return [ln for ln in text.splitlines() if ln.strip()]


@app.command("parse")
@friendly
def parse_cmd(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    text: Annotated[Optional[str], typer.Argument(help="utterance to parse")] = None,
    locale: Annotated[str, typer.Option("--locale", "-l", help="locale of the text, e.g. en-US")] = "en-US",
    input_file: Annotated[Optional[Path], typer.Option("--input", "-i", help="file with one utterance per line ('-' for stdin)")] = None,
    pretty: Annotated[bool, typer.Option("--pretty/--compact", help="indent JSON (single text only)")] = True,
) -> None:
    """Parse text: JSON with intent, confidence, top-3 intents and slots with character offsets."""
    from kiloglot.data import locale_info
    from kiloglot.nlu import load

    if (text is None) == (input_file is None):
        raise InputError("give either a TEXT argument or --input FILE (one utterance per line)")
    locale_info(locale)
    parser = load(model_dir)
    if text is not None:
        if not text.strip():
            raise InputError("the text is empty: expected an utterance to parse")
        result = parser.parse([text], locale)[0].to_dict()
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2 if pretty else None))
        return
    assert input_file is not None
    lines = _read_lines(input_file)
    if not lines:
        raise InputError(f"input {input_file} holds no utterances")
    for i in range(0, len(lines), 512):
        for p in parser.parse(lines[i:i + 512], locale):
            typer.echo(json.dumps(p.to_dict(), ensure_ascii=False))
@app.command()
@friendly
def export(
    model_dir: Annotated[Path, typer.Argument(help="neural model directory (PyTorch runtime)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="directory for the ONNX model")],
    int8: Annotated[bool, typer.Option("--int8/--fp32", help="dynamic int8 quantisation of the weights")] = False,
) -> None:
    """Export a neural model to ONNX for onnxruntime (load() picks the runtime from the manifest)."""
    from kiloglot.nlu.neural.onnx import export_onnx

    path = export_onnx(model_dir, out, int8=int8)
    size = sum(f.stat().st_size for f in path.iterdir())
    err.print(f"exported {model_dir} -> {path} ({'int8' if int8 else 'fp32'}, {size / 1e6:.1f} MB)")


@app.command()
@friendly
def compact(
    model_dir: Annotated[Path, typer.Argument(help="trained linear model directory")],
    out: Annotated[Path, typer.Option("--out", "-o", help="directory for the compact model (replaced atomically)")],
    intent_density: Annotated[float, typer.Option("--intent-density", help="fraction of each locale's intent weights kept, largest first (1: all)")] = 1.0,
    compact_slots: Annotated[bool, typer.Option("--compact-slots/--crfsuite-slots", help="keep the CRF as int8 weights in NumPy (6-8x smaller) or as crfsuite's file")] = True,
) -> None:
    """Make a trained linear model smaller without training again: prune intent weights, compact the CRF."""
    from kiloglot.nlu import load, read_manifest

    kind = read_manifest(model_dir).get("kind")
    if kind != "linear":
        raise InputError(f"{model_dir} is a {kind!r} model: expected a linear one (neural models shrink with "
                         "`kiloglot export --int8` or `kiloglot distill`)")
    parser = load(model_dir)
    small = parser.compacted(intent_density=intent_density, compact_slots=compact_slots)
    path = small.save(out, metrics=None)
    before = sum(f.stat().st_size for f in Path(model_dir).rglob("*") if f.is_file())
    after = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    err.print(f"{model_dir} ({before / 1e6:.1f} MB) -> {path} ({after / 1e6:.1f} MB; intent density "
              f"{small.options.intent_density:g}, slots {'compact' if small.options.compact_slots else 'crfsuite'})")


@app.command()
@friendly
def ensemble(
    models: Annotated[list[Path], typer.Argument(help="two or more trained model directories; the first labels the slots unless --slot-member says otherwise")],
    out: Annotated[Path, typer.Option("--out", "-o", help="directory for the ensemble model (replaced atomically)")],
    weights: Annotated[Optional[str], typer.Option("--weights", help="comma-separated intent weights, one per model (default: equal)")] = None,
    slot_member: Annotated[int, typer.Option("--slot-member", help="index of the model whose slots are used (0: the first)")] = 0,
) -> None:
    """Combine trained models: they vote on the intent, one labels the slots (given that intent)."""
    from kiloglot.nlu.ensemble import EnsembleParser

    w = None
    if weights is not None:
        try:
            w = [float(x) for x in weights.split(",")]
        except ValueError:
            raise InputError(f"--weights {weights!r}: expected comma-separated numbers such as 0.5,0.5") from None
    parser = EnsembleParser.from_paths(models, weights=w, slot_member=slot_member)
    path = parser.save(out)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    err.print(f"ensemble of {len(models)} models -> {path} (weights {', '.join(f'{x:.3g}' for x in parser.weights)}; "
              f"slots from {models[slot_member]}; {size / 1e6:.1f} MB, member files hard-linked where possible)")


def _loop(epochs: int, batch_size: int, learning_rate: float | None, patience: int, seed: int,
          checkpoint_dir: Path | None) -> dict[str, Any]:
    """The training-loop options of a neural model, from the shared flags."""
    return {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "patience": patience,
            "seed": seed, "checkpoint_dir": str(checkpoint_dir) if checkpoint_dir else None}


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


@app.command()
@friendly
def pretrain(
    text: Annotated[str, typer.Option("--text", help="unlabelled text: massive:train|dev, or a file (JSON lines, 'locale<TAB>text', or plain lines with --locale)")],
    out_dir: Annotated[Path, typer.Option("--out", help="encoder folder to write (replaced atomically)")],
    encoder: Annotated[str, typer.Option(help="'scratch', 'hf:<name-or-path>' or a folder (to continue)")] = "scratch",
    locales: LocalesOpt = None,
    locale: Annotated[Optional[str], typer.Option("--locale", help="locale of plain text lines")] = None,
    data: DataOpt = None,
    per_locale: Annotated[int, typer.Option(help="at most N utterances per locale (0: all)")] = 0,
    epochs: EpochsOpt = 3,
    batch_size: BatchSizeOpt = 64,
    learning_rate: LearningRateOpt = None,
    mask_prob: Annotated[float, typer.Option(help="fraction of sub-words to predict")] = 0.15,
    span_masking: Annotated[bool, typer.Option("--span-masking/--token-masking", help="mask contiguous spans (SpanBERT) or single sub-words (BERT)")] = False,
    seed: SeedOpt = 13,
    jobs: JobsOpt = 0,
    checkpoint_dir: CheckpointOpt = None,
    option: ExtraOpt = None,
) -> None:
    """Continue self-supervised pretraining (masked-LM) of an encoder on unlabelled in-domain text."""
    import torch

    from kiloglot.learn.pretrain import PretrainOptions, check_options, pretrain as run_pretrain
    from kiloglot.settings import Settings

    extra = _options(option)
    known = set(PretrainOptions.__dataclass_fields__)
    unknown = sorted(set(extra) - known)
    if unknown:
        raise InputError(f"unknown pretraining option(s) {', '.join(unknown)}: expected some of {', '.join(sorted(known))}")
    opts = PretrainOptions(encoder=encoder, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                           mask_prob=mask_prob, span_masking=span_masking, seed=seed,
                           checkpoint_dir=str(checkpoint_dir) if checkpoint_dir else None, **extra)
    check_options(opts)  # before reading what may be a million utterances
    torch.set_num_threads(jobs or Settings.from_env().jobs)
    texts = _unlabeled(text, locales, data, locale, per_locale, seed)
    err.print(f"pretraining {encoder} on {len(texts):,} utterances of {len({t.locale for t in texts})} locale(s)")
    with progress_bar("pretraining", 20 * epochs) as advance:
        report = run_pretrain(texts, out_dir, opts, progress=lambda note, secs: advance(1, note),
                              log=lambda m: err.print(m, highlight=False))
    b, a = report["before"], report["after"]
    out.print(f"held-out masked-token accuracy {100 * b['masked_token_accuracy']:.2f}% -> {100 * a['masked_token_accuracy']:.2f}% "
              f"(loss {b['masked_lm_loss']:.3f} -> {a['masked_lm_loss']:.3f}); encoder saved to {out_dir}; "
              f"use it with: kiloglot train --parser neural --encoder {out_dir}")


@app.command()
@friendly
def distill(
    teacher: Annotated[Path, typer.Option("--teacher", help="teacher model directory (any kind; neural gives soft targets)")],
    student: Annotated[str, typer.Option("--student", help="'linear' or 'neural[:key=value,...]', e.g. neural:dim=128,layers=2")],
    out_dir: Annotated[Path, typer.Option("--out", help="student model directory to write (replaced atomically)")],
    unlabeled: Annotated[Optional[str], typer.Option("--unlabeled", help="unlabelled text: massive:train, or a file (JSON lines / 'locale<TAB>text' / plain with --locale)")] = None,
    unlabeled_locales: Annotated[Optional[str], typer.Option(help="keep unlabelled text of these locales ('all' or a list)")] = None,
    locale: Annotated[Optional[str], typer.Option("--locale", help="locale of plain unlabelled lines")] = None,
    per_locale: Annotated[int, typer.Option(help="at most N unlabelled utterances per locale (0: all)")] = 0,
    labeled_locales: Annotated[str, typer.Option(help="locales whose gold train labels are used ('none' for none)")] = "en-US",
    dev_locales: Annotated[Optional[str], typer.Option(help="dev locales for early stopping and the saved scores (default: the labelled ones)")] = None,
    data: DataOpt = None,
    temperature: Annotated[float, typer.Option(help="softmax temperature of the soft targets")] = 2.0,
    hard_weight: Annotated[float, typer.Option(help="weight of the hard-label loss (the rest: soft targets)")] = 0.5,
    targets_cache: Annotated[Optional[Path], typer.Option(help="keep the teacher's targets per utterance in this .npz: later runs of the same teacher and temperature reuse them for any subset and label only new text")] = None,
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
    from kiloglot.learn.distill import StudentSpec, distill as run_distill
    from kiloglot.settings import Settings

    spec = StudentSpec.parse(student)
    if spec.kind == "neural":
        spec = StudentSpec("neural", {**_loop(epochs, batch_size, learning_rate, patience, seed, checkpoint_dir),
                                      **spec.options})
    if not (teacher / "manifest.json").is_file():
        raise InputError(f"teacher {teacher} is not a model directory (no manifest.json)")
    gold_locales = [] if labeled_locales == "none" else parse_locales(labeled_locales)
    dev_chosen = parse_locales(dev_locales) if dev_locales else gold_locales
    wanted = sorted(set(gold_locales) | set(dev_chosen))
    examples = _read(data, wanted, ["train", "dev"], False) if wanted else []
    labelled = [e for e in examples if e.partition == "train" and e.locale in gold_locales]
    dev = [e for e in examples if e.partition == "dev" and e.locale in dev_chosen]
    texts = _unlabeled(unlabeled, unlabeled_locales, data, locale, per_locale, seed) if unlabeled else []
    err.print(f"distilling {teacher} into {student}: {len(labelled):,} labelled utterances "
              f"({', '.join(gold_locales) or 'none'}), {len(texts):,} unlabelled of "
              f"{len({t.locale for t in texts})} locale(s)")
    with progress_bar("distilling", len(labelled) + len(texts)) as advance:
        state = {"done": 0}

        def progress(note: str, done: int, total: int) -> None:
            advance(max(0, done - state["done"]), note)
            state["done"] = max(state["done"], done)

        model, report = run_distill(teacher, spec, labelled, texts, dev=dev, temperature=temperature,
                                    hard_weight=hard_weight, cache=targets_cache,
                                    jobs=jobs or Settings.from_env().jobs, progress=progress,
                                    log=lambda m: err.print(m, highlight=False))
    metrics: dict[str, Any] = {"distillation": report, **_dev_metrics(model, dev)}
    model.save(out_dir, metrics=metrics)
    err.print(f"saved the {spec.kind} student to {out_dir} (teacher labelling {report['teacher_seconds']:.0f}s, "
              f"student training {report['student_seconds']:.0f}s)")
    _print_dev(metrics, f"dev mean over {', '.join(dev_chosen)}")


def _database(db: str | None) -> str:
    import os

    from kiloglot.assistant.store import default_url
    from kiloglot.settings import Settings

    return db or os.environ.get("KILOGLOT_DATABASE") or default_url(Settings.from_env().cache_dir)


DbOpt = Annotated[Optional[str], typer.Option("--db", help="SQLAlchemy URL for dialogue state (default: $KILOGLOT_DATABASE, else a SQLite file in the cache)")]
TzOpt = Annotated[str, typer.Option("--timezone", help="IANA time zone for sessions that name none")]


@app.command()
@friendly
def serve(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    db: DbOpt = None,
    api_key: Annotated[Optional[str], typer.Option("--api-key", envvar="KILOGLOT_API_KEY", help="require this key (X-API-Key or Bearer) on the API")] = None,
    rate_limit: Annotated[int, typer.Option("--rate-limit", help="requests per minute per client; 0 = none")] = 0,
    max_body: Annotated[int, typer.Option("--max-body", help="largest request body in bytes")] = 64 * 1024,
    timezone: TzOpt = "UTC",
    workers: Annotated[int, typer.Option("--workers", help="server processes (each loads the model); rate limits are per process")] = 1,
    log_level: Annotated[str, typer.Option("--log-level")] = "warning",
) -> None:
    """Serve the HTTP API (/v1/parse, /v1/converse, /v1/models, /healthz, /metrics, /docs) and the chat page (/)."""
    import os

    import uvicorn

    from kiloglot.nlu import read_manifest
    from kiloglot.server import ServerConfig, create_app_from_model

    if workers < 1:
        raise InputError(f"--workers {workers}: expected 1 or more")
    # clear errors now, not a traceback in every worker: the model, the database, the time zone
    from kiloglot.assistant import Store
    from kiloglot.assistant.dialogue import Assistant

    read_manifest(model_dir)
    Store(_database(db)).close()
    Assistant._zone(timezone)
    config = ServerConfig(database=_database(db), api_key=api_key, rate_limit_per_minute=rate_limit,
                          max_body_bytes=max_body, default_timezone=timezone)
    if workers == 1:
        application = create_app_from_model(model_dir, config)
        err.print(f"serving {model_dir} on http://{host}:{port}/ (API docs: /docs; state: "
                  f"{application.state.assistant.store.describe()})")
        uvicorn.run(application, host=host, port=port, log_level=log_level)
        return
    os.environ["KILOGLOT_SERVE_CONFIG"] = json.dumps({
        "model": str(model_dir), "database": config.database, "rate_limit_per_minute": rate_limit,
        "max_body_bytes": max_body, "default_timezone": timezone})
    if api_key:
        os.environ["KILOGLOT_API_KEY"] = api_key
    err.print(f"serving {model_dir} on http://{host}:{port}/ with {workers} processes")
    uvicorn.run("kiloglot.server.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level)


@app.command()
@friendly
def chat(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    locale: Annotated[str, typer.Option("--locale", "-l", help="language of the conversation")] = "en-US",
    session: Annotated[Optional[str], typer.Option("--session", help="continue this session id")] = None,
    db: DbOpt = None,
    timezone: TzOpt = "UTC",
    show_parse: Annotated[bool, typer.Option("--parse/--no-parse", help="show intent, confidence and slots")] = True,
) -> None:
    """Talk to the assistant in the terminal; '/locale xx-YY' switches language, '/quit' or Ctrl-D ends."""
    import uuid

    from kiloglot.assistant import Assistant, Providers, Store
    from kiloglot.data import locale_info
    from kiloglot.nlu import load

    locale_info(locale)
    assistant = Assistant(load(model_dir), Store(_database(db)), providers=Providers.from_env(),
                          default_timezone=timezone)
    session_id = session or uuid.uuid4().hex[:12]
    err.print(f"session {session_id}, {locale}; /locale xx-YY to switch language, /quit to end")
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            break
        if line.startswith("/locale"):
            locale = line.split(maxsplit=1)[1] if " " in line else locale
            locale_info(locale)
            out.print(f"[dim]locale: {locale}[/]")
            continue
        if not interactive:
            out.print(f"> {line}", highlight=False)
        try:
            result = assistant.converse(session_id, line, locale, timezone)
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            continue
        out.print(f"[bold]{result.reply}[/]", highlight=False)
        if show_parse:
            slots = ", ".join(f"{s['name']}={s['value']}" for s in result.parse["slots"])
            ran = result.frame["intent"] if result.frame else None
            note = f" -> {ran}" if ran and ran != result.parse["intent"] else ""
            out.print(f"[dim]  {result.parse['intent']} {result.parse['confidence']:.2f} {result.action}{note}"
                      f"{' | ' + slots if slots else ''}[/]", highlight=False)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
