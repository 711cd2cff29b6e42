"""``kiloglot parse``: parse a text or a file of utterances; JSON out (JSON Lines for a file, one per line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import friendly
from kiloglot.data import locale_info
from kiloglot.errors import InputError
from kiloglot.fileio import read_lines
from kiloglot.nlu import load

CHUNK = 512


@friendly
def parse(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    text: Annotated[str | None, typer.Argument(help="utterance to parse")] = None,
    locale: Annotated[str, typer.Option("--locale", "-l", help="locale of the text, e.g. en-US")] = "en-US",
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="file with one utterance per line ('-' for stdin)")
    ] = None,
    pretty: Annotated[bool, typer.Option("--pretty/--compact", help="indent JSON (single text only)")] = True,
) -> None:
    """Parse text: JSON with intent, confidence, top-3 intents and slots with character offsets."""
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
    lines = read_lines(input_file)
    if not any(line.strip() for line in lines):
        raise InputError(f"input {input_file} holds no utterances")
    # one JSON line per input line, blank ones included, so that output line N answers input line N
    for i in range(0, len(lines), CHUNK):
        chunk = lines[i : i + CHUNK]
        texts = [line for line in chunk if line.strip()]
        parses = iter(parser.parse(texts, locale) if texts else [])
        for line in chunk:
            record = next(parses).to_dict() if line.strip() else {"text": line, "error": "blank line"}
            typer.echo(json.dumps(record, ensure_ascii=False))
