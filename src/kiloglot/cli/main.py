"""The ``kiloglot`` command: one module per command; each parses flags, calls the library and prints."""

from __future__ import annotations

import typer

from kiloglot.cli import (
    chat,
    compact,
    data,
    distill,
    ensemble,
    evaluate,
    expand,
    export,
    models,
    parse,
    pretrain,
    selflearn,
    serve,
    speech,
    train,
    wyoming,
)

app = typer.Typer(
    help="kiloglot: massively multilingual NLU for voice assistants.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Inspect MASSIVE, choose the copy to use.", no_args_is_help=True)
app.add_typer(data_app, name="data")
data_app.command("info")(data.info)
data_app.command("use")(data.use)
data_app.command("languages")(data.languages)
app.command()(train.train)
app.command()(evaluate.evaluate)
app.command()(parse.parse)
app.command()(export.export)
app.command()(compact.compact)
app.command()(ensemble.ensemble)
app.command()(pretrain.pretrain)
app.command()(distill.distill)
app.command()(chat.chat)
app.command()(serve.serve)
app.command()(models.options)
app.command()(models.upgrade)
app.command()(speech.say)
app.command()(speech.transcribe)
app.command()(speech.langid)
app.command()(wyoming.wyoming)
app.command()(expand.expand)
app.add_typer(selflearn.app, name="selflearn")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
