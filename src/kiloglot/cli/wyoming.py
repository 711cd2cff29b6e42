"""``kiloglot wyoming``: serve speech recognition, synthesis and intents to Home Assistant (Wyoming protocol)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import DbOpt, TzOpt, err, friendly, settings
from kiloglot.cli.speech import AsrOpt


@friendly
def wyoming(
    model_dir: Annotated[Path, typer.Option("--model", help="model directory")],
    uri: Annotated[str, typer.Option("--uri", help="where to listen: tcp://HOST:PORT or unix://PATH")] = (
        "tcp://127.0.0.1:10700"
    ),
    asr_model: AsrOpt = None,
    tts: Annotated[
        str, typer.Option("--tts", help="synthesiser: best, piper, espeak-ng; 'none' for no voice")
    ] = "best",
    db: DbOpt = None,
    timezone: TzOpt = "UTC",
) -> None:
    """Serve ASR, TTS, intent recognition and the assistant over the Wyoming protocol (Home Assistant's voice
    pipeline: Settings -> Devices & services -> Wyoming Protocol -> this host and port)."""
    from kiloglot import __version__
    from kiloglot.assistant import Assistant, Providers, Store
    from kiloglot.assistant.spoken import VoicePipeline
    from kiloglot.langid import load_identifier
    from kiloglot.nlu import load
    from kiloglot.server.wyoming import WyomingService, run_wyoming
    from kiloglot.speech import create_recognizer, create_synthesizer

    s = settings()
    parser = load(model_dir)
    store = Store(db or s.database_url())
    assistant = Assistant(
        parser, store, providers=Providers.offline(s.maildir, s.media), default_timezone=timezone,
        identifier=load_identifier(model_dir),
    )  # fmt: skip
    recognizer = create_recognizer("whisper", model=asr_model or "", locales=tuple(parser.locales))
    recognizer.loaded()  # type: ignore[attr-defined]
    synthesizer = None if tts == "none" else create_synthesizer(tts)
    service = WyomingService(VoicePipeline(assistant, recognizer, synthesizer), __version__)
    err.print(f"Wyoming server for {model_dir} on {uri} ({', '.join(parser.locales)}); Ctrl-C stops it")
    try:
        asyncio.run(run_wyoming(service, uri))
    except KeyboardInterrupt:
        pass
