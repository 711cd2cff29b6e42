"""``kiloglot chat``: talk to the assistant in the terminal."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer

from kiloglot.cli.common import DbOpt, TzOpt, err, friendly, out, settings
from kiloglot.data import locale_info
from kiloglot.errors import InputError


@friendly
def chat(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    locale: Annotated[str, typer.Option("--locale", "-l", help="language of the conversation")] = "en-US",
    session: Annotated[str | None, typer.Option("--session", help="continue this session id")] = None,
    db: DbOpt = None,
    timezone: TzOpt = "UTC",
    show_parse: Annotated[bool, typer.Option("--parse/--no-parse", help="show intent, confidence and slots")] = True,
) -> None:
    """Talk to the assistant in the terminal; '/locale xx-YY' switches language, '/quit' or Ctrl-D ends."""
    from kiloglot.assistant import Assistant, Providers, Store
    from kiloglot.nlu import load

    locale_info(locale)
    s = settings()
    assistant = Assistant(
        load(model_dir),
        Store(db or s.database_url()),
        providers=Providers.offline(s.maildir, s.media),
        default_timezone=timezone,
    )
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
            out.print(
                f"[dim]  {result.parse['intent']} {result.parse['confidence']:.2f} {result.action}{note}"
                f"{' | ' + slots if slots else ''}[/]",
                highlight=False,
            )
