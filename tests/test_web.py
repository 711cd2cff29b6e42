"""The chat page in headless Chromium (Debian's chromium, driven by Playwright): type a request, see the
reply and the parse; switch language and talk on."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
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


@pytest.fixture()
def server(trained_model, tmp_path):
    import uvicorn

    from kiloglot.nlu import load
    from kiloglot.server import ServerConfig, create_app

    app = create_app(load(trained_model), ServerConfig(database=f"sqlite:///{tmp_path / 'web.db'}"), clock=lambda: NOW)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_chat_page_shows_reply_and_parse_in_two_languages(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

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
