"""``kiloglot chat``: talk to the assistant in the terminal; alarms, timers and reminders ring in it."""

from __future__ import annotations

import secrets
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kiloglot.cli.common import DbOpt, TzOpt, err, friendly, out, settings
from kiloglot.data import locale_info
from kiloglot.errors import InputError

if TYPE_CHECKING:
    from kiloglot.assistant import Assistant, Store
    from kiloglot.assistant.dialogue import TurnResult
    from kiloglot.assistant.spoken import VoicePipeline
    from kiloglot.nlu.contract import Parser
    from kiloglot.speech.audio import Audio


def checked_locale(locale: str, parser: Parser) -> str:
    """The MASSIVE code of ``locale`` (any case) when the model reads it, else an error naming both."""
    code = locale_info(locale).locale
    if not parser.supports(code):
        raise InputError(f"locale {locale!r}: this model reads {', '.join(parser.locales)}")
    return code


def ring(
    store: Store,
    session_id: str,
    stop: threading.Event,
    interval: float = 1.0,
    on_note: Callable[[str, str], None] | None = None,
) -> None:
    """Print what fires for the session from now on (a line each), until ``stop``; ``on_note(message,
    locale)`` also gets each one (``chat --voice`` speaks it)."""
    seen = max((n.id for n in store.notifications(session_id, 0, limit=10_000)), default=0)
    while not stop.wait(interval):
        try:
            for note in store.notifications(session_id, seen):
                seen = note.id
                out.print(f"[bold yellow]* {note.message}[/]", highlight=False)
                if on_note is not None:
                    on_note(note.message, str((note.data or {}).get("locale") or ""))
        except Exception as exc:  # the database went away: say so once a tick, keep the chat going
            err.print(f"[red]notifications unavailable: {exc}[/]", highlight=False)


@friendly
def chat(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    locale: Annotated[str, typer.Option("--locale", "-l", help="language of the conversation")] = "en-US",
    session: Annotated[str | None, typer.Option("--session", help="continue this session id")] = None,
    db: DbOpt = None,
    timezone: TzOpt = "UTC",
    show_parse: Annotated[bool, typer.Option("--parse/--no-parse", help="show intent, confidence and slots")] = True,
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="fire alarms, timers and reminders in this process")
    ] = True,
    voice: Annotated[
        bool,
        typer.Option(
            "--voice",
            help="spoken turns: a line naming an audio file (WAV, FLAC, OGG, WebM, MP3) is heard, '/mic [SECONDS]' "
            "records from a microphone (needs sounddevice), and each reply is spoken into --reply-dir",
        ),
    ] = False,
    reply_dir: Annotated[Path, typer.Option("--reply-dir", help="where spoken replies go (--voice)")] = Path(
        "runs/chat-replies"
    ),
    asr_model: Annotated[
        str | None, typer.Option("--asr-model", help="Whisper model (see kiloglot transcribe)")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="your user id across sessions (default: one per session)")
    ] = None,
    rewrites: Annotated[
        bool, typer.Option("--rewrites/--no-rewrites", help="apply learned rewrites (kiloglot selflearn)")
    ] = True,
) -> None:
    """Talk to the assistant in the terminal; '/locale xx-YY' switches language, '/feedback good|bad [what
    you meant: words or an intent]' rates the last answer, '/quit' or Ctrl-D ends.

    Alarms, timers and reminders set in the chat ring as a line when due (one process leads the firing
    when several share the database, e.g. a running `kiloglot serve`).
    """
    from kiloglot.assistant import Assistant, Providers, Store
    from kiloglot.assistant.dialogue import check_user_id
    from kiloglot.assistant.rewriter import Rewriter
    from kiloglot.assistant.scheduler import Scheduler
    from kiloglot.nlu import load

    locale_info(locale)
    s = settings()
    parser = load(model_dir)
    locale = checked_locale(locale, parser)
    store = Store(db or s.database_url())
    if user is not None:
        check_user_id(user)
    assistant = Assistant(
        parser, store, providers=Providers.offline(s.maildir, s.media), default_timezone=timezone,
        rewriter=Rewriter(store) if rewrites else None,
    )  # fmt: skip
    session_id = session or secrets.token_hex(16)  # 128 bits, like the server's
    stop = threading.Event()
    firing = Scheduler(store) if scheduler else None
    if firing is not None:
        firing.start()
    err.print(f"session {session_id}, {locale}; /locale xx-YY to switch language, /quit to end")
    interactive = sys.stdin.isatty()
    pipeline = None
    if voice:
        from kiloglot.assistant.spoken import VoicePipeline
        from kiloglot.speech import create_recognizer, create_synthesizer

        recognizer = create_recognizer("whisper", model=asr_model or "", locales=tuple(parser.locales))
        pipeline = VoicePipeline(assistant, recognizer, create_synthesizer("best"))
        err.print(f"voice: type an audio file's path, or /mic [seconds]; replies are spoken into {reply_dir}/")
    speak_note = None
    if pipeline is not None:
        voice_pipeline = pipeline

        def speak_note(message: str, note_locale: str) -> None:
            from kiloglot.fileio import atomic_write

            audio = voice_pipeline.speak(message, note_locale or locale)
            if audio is not None:
                target = reply_dir / f"{session_id[:8]}-note-{secrets.token_hex(3)}.wav"
                atomic_write(target, lambda tmp: tmp.write_bytes(audio.to_wav()))
                out.print(f"[dim]  spoken: {target}[/]", highlight=False)

    watcher = threading.Thread(
        target=ring, args=(store, session_id, stop, 1.0, speak_note), name="kiloglot-ring", daemon=True
    )
    watcher.start()
    try:
        converse_loop(
            assistant, session_id, locale, timezone, interactive=interactive, show_parse=show_parse,
            voice=pipeline, reply_dir=reply_dir, user_id=user,
        )  # fmt: skip
    finally:
        stop.set()
        if firing is not None:
            firing.stop()
        watcher.join(2)


def record_microphone(seconds: float) -> Audio:
    try:
        import sounddevice  # type: ignore[import-not-found]
    except (ImportError, OSError) as exc:
        raise InputError("/mic needs a microphone and the sounddevice package (pip install sounddevice)") from exc
    from kiloglot.speech.audio import SAMPLE_RATE, Audio

    out.print(f"[dim]recording {seconds:g} s ...[/]")
    frames = sounddevice.rec(int(seconds * SAMPLE_RATE), samplerate=SAMPLE_RATE, channels=1, dtype="float32")
    sounddevice.wait()
    return Audio(frames.reshape(-1), SAMPLE_RATE)


def spoken_turn(
    voice: VoicePipeline, session_id: str, line: str, locale: str, timezone: str, reply_dir: Path, turn: int
) -> TurnResult | None:
    """A line naming an audio file, or /mic: hear it, run the turn, speak the reply into ``reply_dir``."""
    from kiloglot.fileio import atomic_write
    from kiloglot.speech import decode

    if line.startswith("/mic"):
        seconds = float(line.partition(" ")[2] or 5)
        audio = record_microphone(seconds)
    else:
        audio = decode(Path(line).expanduser())
    spoken = voice.converse(session_id, audio, locale, timezone)
    heard = spoken.transcript
    out.print(f"[cyan]heard ({heard.locale}, {heard.confidence:.2f}): {heard.text}[/]", highlight=False)
    if spoken.reply_audio is not None:
        target = reply_dir / f"{session_id[:8]}-{turn:03d}.wav"
        reply_audio = spoken.reply_audio
        atomic_write(target, lambda tmp: tmp.write_bytes(reply_audio.to_wav()))
        out.print(f"[dim]  spoken reply: {target}[/]", highlight=False)
    elif spoken.note:
        out.print(f"[dim]  {spoken.note}[/]", highlight=False)
    return spoken.result


def converse_loop(
    assistant: Assistant,
    session_id: str,
    locale: str,
    timezone: str,
    *,
    interactive: bool,
    show_parse: bool,
    voice: VoicePipeline | None = None,
    reply_dir: Path = Path("runs/chat-replies"),
    user_id: str | None = None,
) -> None:
    turn = 0
    last_turn_id: int | None = None
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
        if not interactive:
            out.print(f"> {line}", highlight=False)
        if line.startswith("/locale"):
            wanted = line.partition(" ")[2].strip()
            try:
                locale = checked_locale(wanted, assistant.parser) if wanted else locale
            except InputError as exc:  # a typo must not end the conversation
                err.print(f"[bold red]error:[/] {exc}", highlight=False)
                continue
            out.print(f"[dim]locale: {locale}[/]")
            continue
        if line.startswith("/feedback"):
            rate_last_turn(assistant, last_turn_id, line.partition(" ")[2].strip())
            continue
        turn += 1
        try:
            if voice is not None and (line.startswith("/mic") or Path(line).expanduser().is_file()):
                heard = spoken_turn(voice, session_id, line, locale, timezone, reply_dir, turn)
                if heard is None:
                    continue
                result = heard
            else:
                result = assistant.converse(session_id, line, locale, timezone, user_id=user_id)
        except InputError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            continue
        last_turn_id = result.turn_id
        out.print(f"[bold]{result.reply}[/]", highlight=False)
        if result.rewritten is not None:
            out.print(f"[dim]  understood as: {result.rewritten['to']}[/]", highlight=False)
        if show_parse:
            slots = ", ".join(f"{s['name']}={s['value']}" for s in result.parse["slots"])
            ran = result.frame["intent"] if result.frame else None
            note = f" -> {ran}" if ran and ran != result.parse["intent"] else ""
            out.print(
                f"[dim]  {result.parse['intent']} {result.parse['confidence']:.2f} {result.action}{note}"
                f"{' | ' + slots if slots else ''}[/]",
                highlight=False,
            )


def rate_last_turn(assistant: Assistant, turn_id: int | None, args: str) -> None:
    """``/feedback good|bad [what you meant]``: an explicit rating of the last answer, as the page's thumbs.
    What was meant is an intent when it names one of the model's (``/feedback bad transport_traffic``),
    which self-learning can turn into a meaning rewrite; otherwise the text the user meant."""
    rating, _, meant = args.partition(" ")
    if rating not in ("good", "bad"):
        err.print("[bold red]error:[/] /feedback good|bad [what you meant]", highlight=False)
        return
    if turn_id is None:
        err.print("[bold red]error:[/] nothing to rate yet", highlight=False)
        return
    meant = meant.strip()
    intent = meant if meant in assistant.parser.intents else None
    assistant.store.record_feedback(turn_id, rating, text=None if intent else meant or None, intent=intent)
    out.print(f"[dim]feedback: {rating}, thank you[/]")
