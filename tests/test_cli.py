from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kiloglot.cli.main import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_data_info_lists_counts_intents_slots(massive_path):
    r = run("data", "info", "--data", str(massive_path), "--locales", "sw-KE,th-TH", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["locales"] == {"sw-KE": {"train": 11514, "dev": 2033}, "th-TH": {"train": 11514, "dev": 2033}}
    assert len(info["intents"]) == 60 and len(info["scenarios"]) == 18 and len(info["slots"]) == 55


@pytest.mark.slow
def test_train_evaluate_parse_end_to_end(massive_path, tmp_path):
    model = tmp_path / "m"
    r = run(
        "train",
        "--parser",
        "linear",
        "--locales",
        "sw-KE",
        "--data",
        str(massive_path),
        "--out",
        str(model),
        "-o",
        "crf_iterations=10",
        "--jobs",
        "1",
        "-o",
        "intent_density=0.2",
    )
    assert r.exit_code == 0, r.output
    assert "dev mean: exact match" in r.stdout
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["options"]["intent_density"] == 0.2  # -o reaches the linear parser too
    assert manifest["metrics"]["dev"]["mean"]["intent_accuracy"] > 0.7

    rep = tmp_path / "report.json"
    pred = tmp_path / "pred.jsonl"
    r = run(
        "evaluate",
        str(model),
        "--split",
        "dev",
        "--data",
        str(massive_path),
        "--report",
        str(rep),
        "--predictions",
        str(pred),
    )
    assert r.exit_code == 0, r.output
    assert "| sw-KE | 2033 |" in r.stdout
    assert rep.is_file() and rep.with_suffix(".md").is_file() and rep.with_suffix(".png").is_file()
    assert len(pred.read_text().splitlines()) == 2033
    # The evaluation agrees with the metrics stored at training time.
    assert json.loads(rep.read_text())["mean"]["exact_match"] == manifest["metrics"]["dev"]["mean"]["exact_match"]

    r = run("parse", str(model), "niamshe saa kumi na mbili asubuhi", "--locale", "sw-KE")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) >= {"intent", "confidence", "top_intents", "slots"} and len(out["top_intents"]) == 3
    inp = tmp_path / "in.txt"
    inp.write_text("cheza muziki\nhali ya hewa ikoje leo\n", encoding="utf-8")
    r = run("parse", str(model), "--input", str(inp), "--locale", "sw-KE")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2


@pytest.mark.parametrize(
    "args,message",
    [
        (["parse", "{model}", "hello", "--locale", "xx-XX"], "unknown locale 'xx-XX'"),
        (["parse", "{model}", "hello", "--locale", "de-DE"], "not trained on locale 'de-DE'"),
        (["parse", "{model}", "   ", "--locale", "en-US"], "the text is empty"),
        (["parse", "{tmp}/missing", "hello"], "does not exist"),
        (["parse", "{tmp}", "hello"], "no manifest.json"),
        (["parse", "{model}", "--input", "{tmp}/latin1.txt"], "is not valid UTF-8 (line 2"),
        (["parse", "{model}"], "give either a TEXT argument or --input"),
        (["evaluate", "{model}", "--split", "validation"], "unknown split 'validation'"),
        (["train", "--out", "{tmp}/x", "--locales", "en-US,zz-ZZ"], "unknown locale 'zz-ZZ'"),
        (["train", "--out", "{tmp}/x", "--parser", "quantum"], "unknown parser kind 'quantum'"),
        (
            ["train", "--out", "{tmp}/x", "--locales", "sw-KE", "-o", "intent_density=2"],
            "intent_density 2: expected a fraction in (0, 1]",
        ),
        (
            ["train", "--out", "{tmp}/x", "--locales", "sw-KE", "-o", "dim=128"],
            "unknown option(s) for the linear parser: dim",
        ),
        (["data", "info", "--data", "{tmp}/nothing.tar.gz"], "does not exist"),
    ],
)
def test_errors_are_one_clear_line_and_nonzero_exit(trained_model, tmp_path, args, message):
    (tmp_path / "latin1.txt").write_bytes("play jazz\ncaf\xe9\n".encode("latin-1"))
    args = [a.format(model=trained_model, tmp=tmp_path) for a in args]
    r = run(*args)
    assert r.exit_code == 1, r.output
    assert message in r.stderr
    assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1


def test_parse_input_lines_up_with_its_file_and_drops_a_byte_order_mark(trained_model, tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_bytes("\ufeffwake me up at seven am\r\n\nplay some jazz\n   \nwhat time is it\n".encode())
    r = run("parse", str(trained_model), "--input", str(inp), "--locale", "en-US")
    assert r.exit_code == 0, r.output
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["text"] for o in out] == ["wake me up at seven am", "", "play some jazz", "   ", "what time is it"]
    assert out[1] == {"text": "", "error": "blank line"} and "intent" in out[2]
    time_slot = next(s for s in out[0]["slots"] if s["name"] == "time")
    assert out[0]["text"][time_slot["start"] : time_slot["end"]] == time_slot["value"]  # offsets not shifted


def test_installed_command_prints_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "kiloglot", "parse", str(tmp_path / "none"), "hi"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: model directory") and "Traceback" not in proc.stderr


def test_chat_holds_a_conversation_and_switches_language(trained_model, tmp_path):
    script = (
        "wake me up at seven am tomorrow\nwhat alarms do i have\ncancel that\n"
        "/locale xx-XX\n/locale de-DE\n/locale ja-jp\n明日の朝7時に起こして\n"
    )
    r = runner.invoke(
        app, ["chat", str(trained_model), "--locale", "en-US", "--db", f"sqlite:///{tmp_path / 'c.db'}"], input=script
    )
    lines = r.output.splitlines()
    assert "> wake me up at seven am tomorrow" in lines
    assert any(line.startswith("Alarm set for") and "7:00" in line for line in lines), r.output
    assert "OK, I've cancelled that." in lines
    # a bad /locale is a clear error, and the conversation goes on
    assert "unknown locale 'xx-XX'" in r.output
    assert "locale 'de-DE': this model reads en-US, ja-JP, sw-KE" in r.output  # the model lacks it
    assert "locale: ja-JP" in r.output  # any case
    assert any("アラームを設定しました" in line for line in lines), r.output
    assert r.exit_code == 0, r.output


def test_chat_refuses_to_start_in_a_locale_the_model_lacks(trained_model, tmp_path):
    r = runner.invoke(app, ["chat", str(trained_model), "--locale", "de-DE", "--db", f"sqlite:///{tmp_path / 'c.db'}"])
    assert r.exit_code == 1 and "this model reads en-US, ja-JP, sw-KE" in r.output


def test_chat_prints_what_fires_for_its_session(tmp_path, capsys):
    import threading
    from datetime import timedelta

    from assistant_helpers import NOW, ScriptedParser

    from kiloglot.assistant import Assistant, Store
    from kiloglot.assistant.scheduler import Scheduler
    from kiloglot.cli.chat import ring

    parser = ScriptedParser(["en-US"])
    parser.say("set a timer for 10 minutes", "alarm_set", 0.97, time="10 minutes")
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    Assistant(parser, store, clock=lambda: NOW).converse("s1", "set a timer for 10 minutes", "en-US")
    stop = threading.Event()
    heard: list[tuple[str, str]] = []  # what chat --voice would speak
    watcher = threading.Thread(target=ring, args=(store, "s1", stop, 0.02, lambda m, loc: heard.append((m, loc))))
    watcher.start()
    try:
        assert Scheduler(store, clock=lambda: NOW + timedelta(minutes=10, seconds=1)).fire_due()
        printed = ""
        for _ in range(200):
            printed += capsys.readouterr().out
            if printed or stop.wait(0.02):
                break
    finally:
        stop.set()
        watcher.join()
    assert printed.strip() == "* Your timer is done."
    assert heard == [("Your timer is done.", "en-US")]


def test_serve_says_it_serves_only_once_the_port_is_its_own(trained_model, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = runner.invoke(
            app, ["serve", str(trained_model), "--port", str(port), "--db", f"sqlite:///{tmp_path / 's.db'}"]
        )
    assert r.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in r.output, r.output
    assert "serving" not in r.output  # no banner for a server that never listened


def test_serve_rejects_a_missing_model(tmp_path):
    r = runner.invoke(app, ["serve", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "nope" in r.output and "Traceback" not in r.output


def test_data_use_registers_a_local_copy_for_every_later_command(massive_path, tmp_path, monkeypatch):
    monkeypatch.delenv("KILOGLOT_MASSIVE", raising=False)
    monkeypatch.setenv("KILOGLOT_CACHE", str(tmp_path / "cache"))
    from kiloglot.cli import common

    common.settings.cache_clear()
    try:
        from kiloglot.data import resolve_massive_source
        from kiloglot.errors import DataError
        from kiloglot.settings import Settings

        with pytest.raises(DataError, match="MASSIVE not found"):  # nothing registered (and no download asked)
            resolve_massive_source(download=False, settings=Settings.from_env())
        r = run("data", "use", str(tmp_path / "missing.tar.gz"))
        assert r.exit_code == 1 and "does not exist" in r.stderr
        r = run("data", "use", str(massive_path))
        assert r.exit_code == 0, r.output
        r = run("data", "info", "--locales", "sw-KE", "--json")
        assert r.exit_code == 0 and json.loads(r.stdout)["locales"] == {"sw-KE": {"train": 11514, "dev": 2033}}
    finally:
        common.settings.cache_clear()
