"""What an attacker or a careless client tries against the HTTP API, each refused with a clear 4xx."""

from __future__ import annotations

import os
from importlib import resources

import pytest
from assistant_helpers import NOW, ScriptedParser
from fastapi.testclient import TestClient

from kiloglot.assistant import Store
from kiloglot.server import ServerConfig, create_app

BODY = {"texts": ["wake me up at 7:00"], "locale": "en-US"}


def parser() -> ScriptedParser:
    p = ScriptedParser(["en-US"])
    p.say("wake me up at 7:00", "alarm_set", 0.97, time="7:00")
    p.say("set a timer for 10 minutes", "alarm_set", 0.97, time="10 minutes")
    return p


def app(tmp_path, **config):
    config.setdefault("database", f"sqlite:///{tmp_path / 's.db'}")
    config.setdefault("scheduler", False)
    return TestClient(create_app(parser(), ServerConfig(**config), clock=lambda: NOW))


def err(r):
    return r.status_code, r.json()["error"]["code"]


def test_keys_are_compared_as_bytes_and_the_bearer_scheme_in_any_case(tmp_path):
    with app(tmp_path, api_key="schlüssel-ü") as c:
        good = "schlüssel-ü".encode()
        assert c.post("/v1/parse", json=BODY, headers={"X-API-Key": good}).status_code == 200
        assert err(c.post("/v1/parse", json=BODY, headers={"X-API-Key": "schlüssel-ö".encode()})) == (
            401,
            "unauthorized",
        )
        assert c.post("/v1/parse", json=BODY, headers={"Authorization": b"bearer " + good}).status_code == 200
        assert c.post("/v1/parse", json=BODY, headers={"Authorization": b"BEARER " + good}).status_code == 200
        assert err(c.post("/v1/parse", json=BODY, headers={"Authorization": b"Basic " + good})) == (401, "unauthorized")


def test_failed_keys_are_throttled_per_client(tmp_path):
    with app(tmp_path, api_key="right", auth_failures_per_minute=5) as c:
        assert [c.post("/v1/parse", json=BODY, headers={"X-API-Key": f"guess{i}"}).status_code for i in range(5)] == [
            401
        ] * 5
        r = c.post("/v1/parse", json=BODY, headers={"X-API-Key": "guess5"})
        assert err(r) == (429, "rate_limited") and int(r.headers["retry-after"]) >= 1
        # guessing is over for a while, even with the right key
        assert c.post("/v1/parse", json=BODY, headers={"X-API-Key": "right"}).status_code == 429


def test_metrics_are_labelled_by_route_template_and_unknown_paths_share_one_series(tmp_path):
    with app(tmp_path, api_key="k") as c:
        for i in range(20):
            c.get(f"/v1/nothing-{i}")  # unauthorised, under /v1/
            c.get(f"/v1/sessions/s{i}/notifications", headers={"X-API-Key": "k"})
        text = c.get("/metrics", headers={"X-API-Key": "k"}).text
    series = [line for line in text.splitlines() if line.startswith("kiloglot_requests_total{")]
    assert 'path="other"' in text and 'path="/v1/sessions/{session_id}/notifications"' in text
    assert not any("nothing-" in s or "/v1/sessions/s1/" in s for s in series)
    assert len(series) <= 4


def test_nul_characters_and_over_long_texts_are_invalid_input_everywhere(tmp_path):
    with app(tmp_path) as c:  # the schema declares them (422), the endpoints check again (400)
        assert err(c.post("/v1/parse", json={"texts": ["wake\x00me"], "locale": "en-US"})) == (422, "invalid_input")
        assert err(c.post("/v1/converse", json={"text": "hi\x00", "locale": "en-US"})) == (422, "invalid_input")
        bad_session = {"text": "wake me up at 7:00", "locale": "en-US", "session_id": "a\x00b"}
        assert err(c.post("/v1/converse", json=bad_session)) == (422, "invalid_input")
        assert err(c.get("/v1/sessions/a%00b/notifications")) == (422, "invalid_input")
        long = {"texts": ["x" * 1001], "locale": "en-US"}  # the same limit as /v1/converse
        r = c.post("/v1/parse", json=long)
        assert err(r) == (422, "invalid_input") and "at most 1000" in r.json()["error"]["message"]


@pytest.mark.skipif(
    not os.environ.get("KILOGLOT_TEST_POSTGRES_URL") and os.environ.get("KILOGLOT_REQUIRE_SERVICES") != "1",
    reason="no PostgreSQL server: run scripts/test_services.sh (make test does)",
)
def test_nul_characters_are_invalid_input_on_postgresql(tmp_path):
    from kiloglot.assistant import Assistant
    from kiloglot.errors import InputError

    url = os.environ["KILOGLOT_TEST_POSTGRES_URL"]
    with app(tmp_path, database=url) as c:  # was a 500: PostgreSQL cannot store NUL
        assert err(c.post("/v1/converse", json={"text": "hi\x00", "locale": "en-US"})) == (422, "invalid_input")
        body = {"text": "hi", "locale": "en-US", "session_id": "\x00"}
        assert err(c.post("/v1/converse", json=body)) == (422, "invalid_input")
    assistant = Assistant(parser(), Store(url), clock=lambda: NOW)  # the library (and kiloglot chat) too
    with pytest.raises(InputError, match="NUL"):
        assistant.converse("nul-test", "wake me up\x00", "en-US")
    with pytest.raises(InputError, match="NUL"):
        assistant.converse("nul\x00test", "wake me up at 7:00", "en-US")


def test_sessions_are_unguessable_and_bound_to_the_key_that_made_them(tmp_path):
    with app(tmp_path, api_keys=("alice-key", "bob-key")) as c:
        alice, bob = {"X-API-Key": "alice-key"}, {"X-API-Key": "bob-key"}
        r = c.post("/v1/converse", json={"text": "wake me up at 7:00", "locale": "en-US"}, headers=alice)
        session = r.json()["session_id"]
        assert len(session) == 32 and int(session, 16) >= 0  # 128 bits
        turn = {"text": "wake me up at 7:00", "session_id": session}
        assert err(c.post("/v1/converse", json=turn, headers=bob)) == (404, "not_found")
        assert err(c.get(f"/v1/sessions/{session}/notifications", headers=bob)) == (404, "not_found")
        assert c.post("/v1/converse", json=turn, headers=alice).status_code == 200
        assert c.get(f"/v1/sessions/{session}/notifications", headers=alice).json() == {"notifications": []}


def test_the_api_contract_is_documented_and_kept(tmp_path):
    with app(tmp_path) as c:
        schema = c.get("/openapi.json").json()
        parse = schema["paths"]["/v1/parse"]["post"]["responses"]
        assert {"400", "401", "413", "415", "422", "429"} <= set(parse)
        assert "text/plain" in next(iter(schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]))
        codes = schema["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["description"]
        assert "method_not_allowed" in codes and "http_error" in codes and "unsupported_media_type" in codes
        r = c.get("/v1/parse")
        assert err(r) == (405, "method_not_allowed") and r.headers["allow"] == "POST"
        r = c.post("/v1/parse", content=b"texts=hi", headers={"content-type": "application/x-www-form-urlencoded"})
        assert err(r) == (415, "unsupported_media_type")
        assert c.post("/v1/parse", json=BODY).status_code == 200
        docs = c.get("/docs").text  # offline: the assets come from this server, not a CDN
        assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
        assert c.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
        models = c.get("/v1/models").json()["models"][0]
        assert "path" not in models  # where the server keeps its models is its own business


def test_big_requests_run_off_the_event_loop_and_the_page_keeps_keys_out_of_urls(tmp_path):
    import asyncio

    class Watched(ScriptedParser):
        kind = "linear"  # short texts to a linear model are parsed inline: cheaper than a thread hand-off

        def __init__(self, locales):
            super().__init__(locales)
            self.on_loop: list[bool] = []

        def parse(self, texts, locale):
            try:
                asyncio.get_running_loop()
                self.on_loop.append(True)
            except RuntimeError:
                self.on_loop.append(False)
            return super().parse(texts, locale)

    watched = Watched(["en-US"])
    watched.say("wake me up at 7:00", "alarm_set", 0.97, time="7:00")
    config = ServerConfig(database=f"sqlite:///{tmp_path / 's.db'}", scheduler=False)
    with TestClient(create_app(watched, config, clock=lambda: NOW)) as c:
        assert c.post("/v1/parse", json=BODY).status_code == 200
        big = {"texts": ["wake me up at 7:00 " * 40] * 50, "locale": "en-US"}  # 38 KB: was parsed on the loop
        assert c.post("/v1/parse", json=big).status_code == 200
        assert c.post("/v1/converse", json={"text": "wake me up at 7:00", "locale": "en-US"}).status_code == 200
    assert watched.on_loop == [True, False, False]
    script = resources.files("kiloglot.server").joinpath("static", "app.js").read_text(encoding="utf-8")
    assert 'get("key")' not in script and "?key=" not in script


def test_locales_are_case_insensitive(tmp_path):
    with app(tmp_path) as c:
        r = c.post("/v1/parse", json={"texts": ["wake me up at 7:00"], "locale": "en-us"})
        assert r.status_code == 200 and r.json()["locale"] == "en-US"
        r = c.post("/v1/converse", json={"text": "wake me up at 7:00", "locale": "EN_us"})
        assert r.status_code == 200 and r.json()["locale"] == "en-US"


def test_notifications_reach_the_session_as_events(tmp_path):
    from datetime import timedelta

    from kiloglot.assistant.scheduler import Scheduler

    db = f"sqlite:///{tmp_path / 's.db'}"
    with app(tmp_path, database=db) as c:
        r = c.post("/v1/converse", json={"text": "set a timer for 10 minutes", "locale": "en-US"})
        session = r.json()["session_id"]
        fired = Scheduler(Store(db), clock=lambda: NOW + timedelta(minutes=11)).fire_due()
        assert [n.session_id for n in fired] == [session]
        notes = c.get(f"/v1/sessions/{session}/notifications").json()["notifications"]
        assert [n["message"] for n in notes] == ["Your timer is done."]
        with c.stream("GET", f"/v1/sessions/{session}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = []
            for line in stream.iter_lines():
                lines.append(line)
                if line.startswith("data:"):
                    break
        assert f"id: {notes[0]['id']}" in lines and "event: notification" in lines
        assert '"message": "Your timer is done."' in lines[-1]


def test_the_page_speaks_the_chosen_language_and_wraps_long_words(tmp_path):
    from kiloglot.assistant.nlg import REPLY_LOCALES

    html = resources.files("kiloglot.server").joinpath("static", "index.html").read_text(encoding="utf-8")
    style = resources.files("kiloglot.server").joinpath("static", "style.css").read_text(encoding="utf-8")
    script = resources.files("kiloglot.server").joinpath("static", "app.js").read_text(encoding="utf-8")
    assert "overflow-wrap: anywhere" in style  # a 300-character word stays inside its bubble
    with app(tmp_path) as c:
        english = c.get("/static/page/en-US").json()
        for key in english:  # every word the page shows is looked up, not written in English only
            assert f'"{key}"' in html or f"words.{key}" in script, key
        for locale in REPLY_LOCALES:
            words = c.get(f"/static/page/{locale.lower()}").json()
            assert set(words) == set(english), locale
            if locale != "en-US":
                assert words["send"] != english["send"] and words["language"] != english["language"], locale
        assert c.get("/static/page/de-AT").json()["send"] == "Senden"  # the language, when not the region
        assert c.get("/static/page/xx-YY").json() == english
