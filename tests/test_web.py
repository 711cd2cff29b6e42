"""The chat page in headless Chromium (Debian's chromium, driven by Playwright): type a request, see the
reply and the parse; switch language and talk on."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from assistant_helpers import NOW

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("KILOGLOT_REQUIRE_SERVICES") == "1"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED, reason="no chromium: run scripts/test_services.sh (make test does)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(app, start_seconds: int = 20):
    """Run ``app`` with uvicorn on a free local port in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + start_seconds
    while not srv.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture()
def server(trained_model, tmp_path):
    from kiloglot.nlu import load
    from kiloglot.server import ServerConfig, create_app

    app = create_app(load(trained_model), ServerConfig(database=f"sqlite:///{tmp_path / 'web.db'}"), clock=lambda: NOW)
    with serving(app, 20) as base:
        yield base


def test_chat_page_shows_reply_and_parse_in_two_languages(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from kiloglot.assistant import Store

    assert CHROMIUM, "chromium is required (KILOGLOT_REQUIRE_SERVICES=1) but not installed"
    shots = Path(os.environ.get("KILOGLOT_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(locale="en-US", timezone_id="Europe/Berlin")
            page.goto(server + "/?locale=en-US")
            expect(page.locator("#status")).to_contain_text("model: linear, 3 locale(s)")
            page.fill("#text", "wake me up at seven am tomorrow")
            page.press("#text", "Enter")
            turn = page.locator("#log li").nth(0)
            expect(turn.locator(".bot")).to_have_text("Alarm set for Nov 25, 2026, 7:00\u202fAM.")
            expect(turn.locator(".intent")).to_have_text("alarm_set")
            expect(turn.locator(".slot").first).to_contain_text("time: seven am")
            assert 50 <= int(turn.locator(".confidence").inner_text().rstrip("%")) <= 100
            turn.locator(".thumb-bad").click()  # a thumbs down reaches the log as the turn's rating
            expect(turn.locator(".thumb-bad")).to_have_attribute("aria-pressed", "true")
            expect(turn.locator(".thumb-good")).to_have_attribute("aria-pressed", "false")
            with page.expect_response(lambda r: r.url.endswith("/v1/feedback") and r.ok):
                turn.locator(".meant").select_option("alarm_query")  # "what did you mean?"
            ratings = Store(f"sqlite:///{tmp_path / 'web.db'}").feedback()
            assert [(r.rating, r.intent) for r in ratings.values()] == [("bad", "alarm_query")]
            page.reload()  # the rating stays shown
            expect(page.locator("#log li").nth(0).locator(".thumb-bad")).to_have_attribute("aria-pressed", "true")
            page.select_option("#locale", "ja-JP")
            page.fill("#text", "明日の朝7時に起こして")
            page.click("#send")
            ja = page.locator("#log li").nth(1)
            expect(ja.locator(".bot")).to_contain_text("アラームを設定しました")
            expect(ja.locator(".intent")).to_have_text("alarm_set")
            page.screenshot(path=str(shots / "web_chat.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "web_chat.png").stat().st_size > 10_000


@pytest.fixture()
def keyed_server(trained_model, tmp_path):
    from kiloglot.nlu import load
    from kiloglot.server import ServerConfig, create_app

    db = f"sqlite:///{tmp_path / 'web.db'}"
    config = ServerConfig(database=db, api_keys=("page-key",), scheduler=False, scheduler_interval=0.2)
    app = create_app(load(trained_model), config, clock=lambda: NOW)
    with serving(app, 20) as base:
        yield base, db


def test_page_keeps_key_out_of_urls_speaks_the_language_keeps_the_chat_and_rings(keyed_server):
    from datetime import UTC, datetime

    from playwright.sync_api import expect, sync_playwright

    from kiloglot.assistant import Store
    from kiloglot.assistant.scheduler import Scheduler

    base, db = keyed_server
    assert CHROMIUM, "chromium is required (KILOGLOT_REQUIRE_SERVICES=1) but not installed"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(locale="en-US", timezone_id="Europe/Berlin")
            page.goto(base + "/?key=page-key")  # a key in the URL is not read
            expect(page.locator("#status")).to_contain_text("API key")
            page.fill("#apikey", "page-key")
            page.dispatch_event("#apikey", "change")
            expect(page.locator("#status")).to_contain_text("model: linear, 3 locale(s)")
            assert page.evaluate("sessionStorage.getItem('kiloglot-key')") == "page-key"
            page.fill("#text", "wake me up at seven am tomorrow")
            page.press("#text", "Enter")
            expect(page.locator("#log li").nth(0).locator(".bot")).to_contain_text("Alarm set")

            page.select_option("#locale", "ja-JP")  # the page's own words follow the language
            expect(page.locator("#send")).to_have_text("送信")
            expect(page.locator("[data-word=language]")).to_have_text("言語")
            expect(page.locator("#status")).to_contain_text("モデル")

            page.fill("#text", "あ" * 5 + "x" * 300)  # one unbroken word stays inside its bubble
            page.press("#text", "Enter")
            bubble = page.locator("#log li").nth(1).locator(".user")
            expect(bubble).to_be_visible()
            widths = bubble.evaluate(
                "e => [e.scrollWidth, e.clientWidth, document.documentElement.scrollWidth, innerWidth]"
            )
            assert widths[0] <= widths[1] and widths[2] <= widths[3], widths

            page.reload()  # the conversation and the language survive a reload
            expect(page.locator("#log li")).to_have_count(2)
            expect(page.locator("#send")).to_have_text("送信")
            assert page.locator("#locale").input_value() == "ja-JP"

            # the alarm (07:00 Berlin on 25 November = 06:00 UTC) fires: the page shows it as it happens
            Scheduler(Store(db), clock=lambda: datetime(2026, 11, 25, 6, 0, 5, tzinfo=UTC)).fire_due()
            note = page.locator("#log li.note")
            expect(note).to_have_count(1, timeout=10_000)
            expect(note).to_contain_text("7:00")
            page.reload()  # once shown, a reload does not show it twice
            expect(page.locator("#log li.note")).to_have_count(1)
            page.wait_for_timeout(800)
            expect(page.locator("#log li.note")).to_have_count(1)
            assert "page-key" not in page.url
        finally:
            browser.close()


@pytest.fixture()
def voice_server(trained_model, tmp_path):
    """A server that hears and speaks, started like the others."""
    pytest.importorskip("faster_whisper", reason="the speech extra")
    from kiloglot.nlu import load
    from kiloglot.server import ServerConfig, create_app

    config = ServerConfig(database=f"sqlite:///{tmp_path / 'voice.db'}", asr="packaged:whisper-base", tts="espeak-ng")
    app = create_app(load(trained_model), config, clock=lambda: NOW)
    with serving(app, 60) as base:
        yield base


def test_speaking_into_the_page_shows_the_transcript_the_reply_and_the_parse(voice_server, tmp_path):
    """Chromium's fake capture device plays a WAV made here (espeak-ng) into the microphone."""
    import numpy as np
    from playwright.sync_api import expect, sync_playwright

    from kiloglot.speech import Audio, create_synthesizer

    assert CHROMIUM, "chromium is required (KILOGLOT_REQUIRE_SERVICES=1) but not installed"
    speech = create_synthesizer().synthesize("wake me up at seven thirty tomorrow morning", "en-US")
    quiet = np.zeros(int(2.5 * speech.sample_rate), np.float32)
    wav = tmp_path / "request.wav"
    wav.write_bytes(Audio(np.concatenate([quiet[:4000], speech.samples, quiet]), speech.sample_rate).to_wav())
    shots = Path(os.environ.get("KILOGLOT_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    fake_microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS + fake_microphone, headless=True)
        try:
            context = browser.new_context(locale="en-US", timezone_id="Europe/Berlin")
            context.grant_permissions(["microphone"], origin=voice_server)
            page = context.new_page()
            page.goto(voice_server + "/?locale=en-US")
            mic = page.locator("#mic")
            expect(mic).to_be_visible()
            mic.click()
            expect(mic).to_have_attribute("aria-pressed", "true")
            page.wait_for_timeout(3200)  # the file's speech, then silence
            mic.click()
            turn = page.locator("#log li").nth(0)
            expect(turn.locator(".user.spoken")).to_contain_text("seven thirty", timeout=30_000)
            expect(turn.locator(".intent")).to_have_text("alarm_set")
            expect(turn.locator(".bot")).to_contain_text("Alarm set for")
            assert turn.locator(".reply-audio").count() == 1
            page.screenshot(path=str(shots / "web_voice.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "web_voice.png").stat().st_size > 10_000
