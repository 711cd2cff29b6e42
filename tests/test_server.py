"""The HTTP API: parse, converse, models, health, metrics, auth, limits, JSON errors with stable codes."""

from __future__ import annotations

import pytest
from assistant_helpers import NOW, ScriptedParser
from fastapi.testclient import TestClient

from kiloglot.server import ServerConfig, create_app


def parser() -> ScriptedParser:
    p = ScriptedParser(["en-US", "de-DE"])
    p.say("wake me up at 7:00", "alarm_set", 0.97, time="7:00")
    p.say("what alarms do i have", "alarm_query", 0.98)
    p.say("weck mich um 7:00", "alarm_set", 0.97, time="7:00")
    return p


@pytest.fixture()
def client(tmp_path):
    app = create_app(parser(), ServerConfig(database=f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: NOW)
    with TestClient(app) as c:
        yield c


def test_parse_is_batched_and_stateless(client):
    r = client.post("/v1/parse", json={"texts": ["wake me up at 7:00", "what alarms do i have"], "locale": "en-US"})
    assert r.status_code == 200
    parses = r.json()["parses"]
    assert [p["intent"] for p in parses] == ["alarm_set", "alarm_query"]
    assert parses[0]["slots"] == [{"name": "time", "value": "7:00", "start": 14, "end": 18}]


def test_converse_keeps_a_session(client):
    r = client.post("/v1/converse", json={"text": "wake me up at 7:00", "locale": "en-US", "timezone": "Europe/Berlin"})
    body = r.json()
    assert r.status_code == 200 and body["action"] == "answer" and body["reply"].startswith("Alarm set for")
    sid = body["session_id"]
    r = client.post("/v1/converse", json={"text": "what alarms do i have", "session_id": sid})
    assert r.json()["locale"] == "en-US" and len(r.json()["data"]["alarms"]) == 1
    assert r.json()["state"]["turn"] == 2
    de = client.post("/v1/converse", json={"text": "weck mich um 7:00", "locale": "de-DE"}).json()
    assert de["reply_locale"] == "de-DE" and de["reply"].startswith("Wecker gestellt")


def test_models_health_metrics_and_docs(client):
    models = client.get("/v1/models").json()
    assert models["models"][0]["locales"] == ["en-US", "de-DE"] and "ko-KR" in models["reply_locales"]
    assert client.get("/healthz").json() == {"status": "ok", "model": "scripted", "locales": 2, "database": "ok"}
    client.post("/v1/parse", json={"texts": ["wake me up at 7:00"], "locale": "en-US"})
    metrics = client.get("/metrics").text
    assert 'kiloglot_requests_total{path="/v1/parse",status="200"} 1.0' in metrics
    assert "kiloglot_parsed_utterances_total 1.0" in metrics
    assert "/v1/converse" in client.get("/openapi.json").json()["paths"]
    assert client.get("/").text.startswith("<!doctype html>")


def test_errors_are_json_with_stable_codes(client):
    def err(r):
        return r.status_code, r.json()["error"]["code"]

    assert err(client.post("/v1/parse", json={"texts": ["hi"], "locale": "xx-XX"})) == (400, "invalid_input")
    assert err(client.post("/v1/parse", json={"texts": [], "locale": "en-US"})) == (422, "invalid_input")
    assert err(client.post("/v1/parse", json={"locale": "en-US"})) == (422, "invalid_input")
    assert err(client.post("/v1/parse", content=b"{not json", headers={"content-type": "application/json"})) == (
        422,
        "invalid_input",
    )
    # a new session without a locale takes the best match of Accept-Language, else en-US
    assert client.post("/v1/converse", json={"text": "hello"}).json()["locale"] == "en-US"
    r = client.post("/v1/converse", json={"text": "hallo"}, headers={"Accept-Language": "fr;q=0.9, de-AT"})
    assert r.json()["locale"] == "de-DE"
    assert err(client.post("/v1/converse", json={"text": "hi", "locale": "en-US", "timezone": "Nowhere/X"})) == (
        400,
        "invalid_input",
    )
    assert err(client.get("/v1/nothing")) == (404, "not_found")
    big = {"texts": ["x" * 70_000], "locale": "en-US"}
    assert err(client.post("/v1/parse", json=big)) == (413, "payload_too_large")
    chunks = (b'{"texts": ["' + b"x" * 30_000 + b'"' for _ in range(3))  # no content-length: chunked
    assert err(client.post("/v1/parse", content=chunks, headers={"content-type": "application/json"})) == (
        413,
        "payload_too_large",
    )
    msg = client.post("/v1/parse", json={"texts": ["hi"], "locale": "fr-FR"}).json()["error"]["message"]
    assert "fr-FR" in msg and "en-US" in msg


def test_api_key_and_rate_limit(tmp_path):
    config = ServerConfig(database=f"sqlite:///{tmp_path / 's.db'}", api_key="s3cret", rate_limit_per_minute=3)
    with TestClient(create_app(parser(), config)) as c:
        body = {"texts": ["wake me up at 7:00"], "locale": "en-US"}
        r = c.post("/v1/parse", json=body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert c.post("/v1/parse", json=body, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/healthz").status_code == 200  # probes need no key
        ok = [c.post("/v1/parse", json=body, headers={"Authorization": "Bearer s3cret"}).status_code for _ in range(3)]
        assert ok == [200, 200, 200]
        r = c.post("/v1/parse", json=body, headers={"X-API-Key": "s3cret"})
        assert (
            r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
        )


@pytest.mark.slow
def test_serve_with_two_workers_gives_each_its_configuration(trained_model, tmp_path):
    """`kiloglot serve --workers 2`: the workers get the key, the database and the model as arguments."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from kiloglot.assistant import Store

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'w.db'}"
    cmd = [sys.executable, "-m", "kiloglot", "serve", str(trained_model), "--port", str(port), "--workers", "2",
           "--db", db, "--api-key", "sekrit"]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.time() < deadline, server.stderr.read() if server.stderr else ""
            time.sleep(0.3)
        body = {"texts": ["wake me up at seven"], "locale": "en-US"}
        assert httpx.post(f"{base}/v1/parse", json=body).status_code == 401
        for _ in range(6):  # several requests: both workers answer some of them
            r = httpx.post(f"{base}/v1/parse", json=body, headers={"X-API-Key": "sekrit"})
            assert r.status_code == 200 and r.json()["parses"][0]["intent"] == "alarm_set"
        turn = {"text": "wake me up at seven am tomorrow", "locale": "en-US", "session_id": "w"}
        assert httpx.post(f"{base}/v1/converse", json=turn, headers={"X-API-Key": "sekrit"}).status_code == 200
    finally:
        server.terminate()
        server.wait(30)
    assert Store(db).count_turns() == 1
