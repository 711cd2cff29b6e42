"""``kiloglot expand``: open a language without labels: lexicon-translated training data, and a parser."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import (
    DataOpt,
    EpochsOpt,
    OptionOpt,
    OutOpt,
    err,
    friendly,
    given_options,
    progress_bar,
    read_examples,
)
from kiloglot.data import locale_info, parse_locales
from kiloglot.errors import InputError
from kiloglot.fileio import write_text_atomic


@friendly
def expand(
    out_dir: OutOpt,
    to: Annotated[str, typer.Option("--to", help="target locale(s), comma-separated, e.g. sw-KE,am-ET")],
    lexicon: Annotated[
        Path,
        typer.Option(
            "--lexicon",
            help="an english<TAB>target TSV, or a folder of en-<lang>.tsv files (GATITOS and FreeDict under "
            "extra/ are added)",
        ),
    ],
    source: Annotated[str, typer.Option("--source", help="labelled locale(s) to translate from")] = "en-US",
    unimorph: Annotated[
        Path | None, typer.Option("--unimorph", help="a UniMorph table, or a folder of <iso3>.tsv[.gz]")
    ] = None,
    parser_kind: Annotated[str, typer.Option("--parser", help="parser to train on the data")] = "linear",
    data_only: Annotated[bool, typer.Option("--data-only", help="write the data, train nothing")] = False,
    seed: Annotated[int, typer.Option("--seed", help="translations are sampled with this seed")] = 0,
    copies: Annotated[int, typer.Option("--copies", help="translated versions of each source utterance")] = 1,
    keep_slot_values: Annotated[
        bool, typer.Option("--keep-slot-values", help="leave slot values in the source language")
    ] = False,
    with_source: Annotated[
        bool, typer.Option("--with-source/--target-only", help="train on the source data as well")
    ] = False,
    per_target: Annotated[
        int,
        typer.Option(
            "--per-target",
            help="translate a seeded sample of this many source utterances for each target, a different sample "
            "each (0: all of them); with --with-source and a neural parser, the paper's setting",
        ),
    ] = 0,
    encoder: Annotated[
        str | None, typer.Option(help="neural: 'scratch', 'hf:<name-or-path>' or a folder from `kiloglot pretrain`")
    ] = None,
    epochs: EpochsOpt = None,
    option: OptionOpt = None,
    data: DataOpt = None,
) -> None:
    """Translate labelled utterances word for word with a bilingual lexicon into each target locale, keeping
    their labels (Wang et al., 2022); write them as MASSIVE jsonl (OUT/data/<locale>.jsonl) with a report of
    what had no translation (OUT/report.json), then train a parser on them (OUT/model)."""
    from kiloglot.learn.lexicon import (
        ExpandSettings,
        Lexicon,
        Morphology,
        lexicon_files,
        unimorph_file,
        write_jsonl,
    )
    from kiloglot.learn.training import train_parser

    targets = parse_locales(to)
    sources = parse_locales(source)
    if set(targets) & set(sources):
        raise InputError(f"--to {to}: a target is also a source ({source})")
    if copies < 1:
        raise InputError(f"--copies {copies}: expected 1 or more")
    if per_target < 0:
        raise InputError(f"--per-target {per_target}: expected 0 (all) or more")
    from kiloglot.nlu import registry

    parser = None
    if not data_only:  # bad parser options are refused before any data is read or written
        parser = registry.create(parser_kind, **given_options(option, encoder=encoder, epochs=epochs, seed=seed))
    started = time.perf_counter()
    source_examples = read_examples(data, sources, ["train"], False)
    settings = ExpandSettings(seed=seed, copies=copies, keep_slot_values=keep_slot_values)
    generated, reports = [], {}
    # every target's lexicon is found before anything is written: a missing one leaves no half-made folder
    files = {target: lexicon_files(lexicon, locale_info(target).iso639_1) for target in targets}
    for target in targets:
        info = locale_info(target)
        lex = Lexicon.read(files[target])
        morphology = None
        if unimorph is not None:
            table = unimorph_file(unimorph, info.iso639_3)
            morphology = Morphology.read(table) if table else None
        from kiloglot.learn.lexicon import expand as expand_examples
        from kiloglot.learn.lexicon import sample_for_target

        chosen = sample_for_target(source_examples, target, per_target, seed)
        examples, report = expand_examples(chosen, target, lex, settings, morphology)
        write_jsonl(examples, out_dir / "data" / f"{target}.jsonl")
        reports[target] = {**report.to_dict(), "lexicon": lex.sources, "lexicon_pairs": len(lex),
                           "unimorph": str(morphology and table)}  # fmt: skip
        generated.extend(examples)
        err.print(
            f"{target}: {len(examples):,} utterances, {report.coverage:.1%} of source words translated "
            f"({len(lex):,} lexicon pairs{', UniMorph' if morphology else ''})"
        )
    write_text_atomic(out_dir / "report.json", json.dumps(reports, ensure_ascii=False, indent=1))
    if parser is None:
        err.print(f"wrote {out_dir}/data/ in {time.perf_counter() - started:.0f}s")
        return
    train = generated + (source_examples if with_source else [])
    with progress_bar(f"training {parser_kind}", parser.progress_total(len(targets))) as advance:
        outcome = train_parser(
            parser, train, (), out_dir / "model", score_dev=False,
            progress=lambda note, secs: advance(1, note if secs == 0 else f"{note} {secs:.0f}s"),
        )  # fmt: skip
    err.print(
        f"wrote {out_dir}/data/ and the {parser_kind} parser {outcome.path} in {time.perf_counter() - started:.0f}s; "
        f"score it with: kiloglot evaluate {outcome.path} --split dev"
    )
