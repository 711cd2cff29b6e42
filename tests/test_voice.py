"""Spoken turns everywhere a user meets the assistant: the HTTP API (/v1/asr, /v1/tts, /v1/converse/audio),
the Wyoming server that Home Assistant talks to (driven by the wyoming package's own client), and the
`say` / `transcribe` commands. Requests are spoken by espeak-ng in the test."""

from __future__ import annotations

import asyncio
import base64
import json
import socket

import numpy as np
import pytest
from assistant_helpers import NOW

pytest.importorskip("faster_whisper", reason="the speech extra: pip install -e '.[speech]'")
pytest.importorskip("wyoming")

from kiloglot.speech import Audio, create_recognizer, create_synthesizer, decode


@pytest.fixture(scope="module")
def speech(trained_model):
    from kiloglot.nlu import read_manifest

    recognizer = create_recognizer("whisper", locales=tuple(read_manifest(trained_model)["locales"]))
    recognizer.loaded()
    return recognizer, create_synthesizer("espeak-ng")


def spoken(speech, text: str, locale: str = "en-US") -> bytes:
    return speech[1].synthesize(text, locale).to_wav()


@pytest.fixture()
def client(trained_model, speech, tmp_path):
    from fastapi.testclient import TestClient

    from kiloglot.langid import load_identifier
    from kiloglot.nlu import load
    from kiloglot.server import ServerConfig, create_app

    config = ServerConfig(database=f"sqlite:///{tmp_path / 'v.db'}", max_audio_seconds=10)
    app = create_app(load(trained_model), config, clock=lambda: NOW, identifier=load_identifier(trained_model),
                     recognizer=speech[0], synthesizer=speech[1])  # fmt: skip
    with TestClient(app) as c:
        yield c


def test_asr_and_tts_endpoints(client, speech):
    r = client.post("/v1/asr", content=spoken(speech, "what time is it in london"),
                    headers={"Content-Type": "audio/wav"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["locale"] == "en-US" and "time is it in london" in body["text"] and body["language_confidence"] > 0.5
    r = client.post("/v1/tts", json={"text": "Your alarm is set", "locale": "en-US"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    audio = decode(r.content)
    assert audio.seconds > 0.8 and audio.peak > 0.1
    assert client.post("/v1/tts", json={"text": "hi", "locale": "km-KH"}).json()["error"]["code"] == "invalid_input"


def test_a_spoken_turn_returns_transcript_parse_reply_and_reply_audio(client, speech):
    request = spoken(speech, "wake me up at seven thirty tomorrow morning")
    r = client.post("/v1/converse/audio?locale=auto", content=request, headers={"Content-Type": "audio/wav"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["transcript"]["locale"] == "en-US" and "seven thirty" in body["transcript"]["text"]
    assert body["turn"]["parse"]["intent"] == "alarm_set" and body["turn"]["reply"]
    reply = decode(base64.b64decode(body["reply_audio"]))
    assert reply.seconds > 0.5
    assert set(body["timings"]) >= {"asr", "turn", "tts", "total"}
    sid = body["session_id"]
    follow_up = spoken(speech, "what alarms do i have")
    path = f"/v1/converse/audio?session_id={sid}&speak=false"
    again = client.post(path, content=follow_up, headers={"Content-Type": "audio/webm"})
    assert again.status_code == 200 and again.json()["reply_audio"] is None
    assert again.json()["turn"]["state"]["turn"] == 2


def test_bad_audio_gets_clear_errors_not_500(client, speech):
    def post(body: bytes, kind: str = "audio/wav", path: str = "/v1/asr"):
        r = client.post(path, content=body, headers={"Content-Type": kind})
        return r.status_code, r.json()["error"]

    status, error = post(b"")
    assert status == 400 and "empty" in error["message"]
    status, error = post(b"\x00\x01garbage" * 50)
    assert status == 400 and "cannot decode" in error["message"]
    status, error = post(Audio(np.zeros(16_000, np.float32)).to_wav(), path="/v1/converse/audio")
    assert status == 400 and "silent" in error["message"]
    long = Audio((0.2 * np.sin(np.arange(16_000 * 12) / 5)).astype(np.float32)).to_wav()
    status, error = post(long)
    assert status == 400 and "at most 10 s" in error["message"]
    status, error = post(spoken(speech, "hello"), kind="application/json")
    assert status == 415 and "expected audio" in error["message"]
    status, error = post(spoken(speech, "hello"), path="/v1/asr?locale=de-DE")
    assert status == 400 and "the model has" in error["message"]


def test_models_lists_voices_recogniser_and_locales_without_voice(client):
    speech_info = client.get("/v1/models").json()["speech"]
    assert speech_info["asr"]["backend"] == "whisper"
    assert {v["locale"] for v in speech_info["tts"]["voices"]} >= {"en-US", "ja-JP", "sw-KE"}
    assert speech_info["locales_without_voice"] == []


def test_without_a_recogniser_the_audio_routes_say_so(trained_model, tmp_path):
    from fastapi.testclient import TestClient

    from kiloglot.nlu import load
    from kiloglot.server import ServerConfig, create_app

    app = create_app(load(trained_model), ServerConfig(database=f"sqlite:///{tmp_path / 'n.db'}"))
    with TestClient(app) as c:
        r = c.post("/v1/asr", content=b"RIFF", headers={"Content-Type": "audio/wav"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_configured"
        assert c.get("/v1/models").json()["speech"]["asr"] is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wyoming_server_answers_home_assistant_s_events(trained_model, speech, tmp_path):
    from wyoming.asr import Transcribe, Transcript
    from wyoming.audio import AudioChunk, AudioStart, AudioStop
    from wyoming.client import AsyncTcpClient
    from wyoming.handle import Handled
    from wyoming.info import Describe, Info
    from wyoming.intent import Intent, Recognize
    from wyoming.tts import Synthesize, SynthesizeVoice

    from kiloglot.assistant import Assistant, Store
    from kiloglot.assistant.spoken import VoicePipeline
    from kiloglot.langid import load_identifier
    from kiloglot.nlu import load
    from kiloglot.server.wyoming import WyomingService, run_wyoming

    assistant = Assistant(load(trained_model), Store(f"sqlite:///{tmp_path / 'w.db'}"), clock=lambda: NOW,
                          identifier=load_identifier(trained_model))  # fmt: skip
    service = WyomingService(VoicePipeline(assistant, speech[0], speech[1]), "test")
    uri = f"tcp://127.0.0.1:{free_port()}"

    async def scenario() -> None:
        ready = asyncio.Event()
        server = asyncio.create_task(run_wyoming(service, uri, ready))
        await asyncio.wait_for(ready.wait(), 10)
        try:
            async with AsyncTcpClient.from_uri(uri) as client:
                await client.write_event(Describe().event())
                info = Info.from_event(await client.read_event())
                assert info.asr[0].models[0].languages == ["en-US", "ja-JP", "sw-KE"]
                assert {v.languages[0] for v in info.tts[0].voices} == {"en-US", "ja-JP", "sw-KE"}
                assert info.intent and info.handle

                audio = speech[1].synthesize("what time is it in london", "en-US").resampled()
                pcm = audio.to_pcm16()
                await client.write_event(Transcribe(language="en").event())
                await client.write_event(AudioStart(rate=16_000, width=2, channels=1).event())
                for i in range(0, len(pcm), 2048):
                    await client.write_event(
                        AudioChunk(rate=16_000, width=2, channels=1, audio=pcm[i : i + 2048]).event()
                    )
                await client.write_event(AudioStop().event())
                heard = Transcript.from_event(await client.read_event())
                assert "time is it in london" in heard.text and heard.language == "en-US"

                await client.write_event(Synthesize(text="Good morning", voice=SynthesizeVoice(language="en")).event())
                start = AudioStart.from_event(await client.read_event())
                chunks = b""
                while True:
                    event = await client.read_event()
                    if AudioStop.is_type(event.type):
                        break
                    chunks += AudioChunk.from_event(event).audio
                assert start.rate == 22_050 and len(chunks) / 2 / start.rate > 0.4

                await client.write_event(Recognize(text="wake me up at seven thirty tomorrow morning").event())
                intent = Intent.from_event(await client.read_event())
                assert intent.name == "alarm_set" and intent.context["language"] == "en-US"

                await client.write_event(
                    Transcript(text="wake me up at seven thirty tomorrow morning", language="en").event()
                )
                handled = Handled.from_event(await client.read_event())
                assert handled.text and "7" in handled.text
        finally:
            server.cancel()

    asyncio.run(scenario())


def test_say_and_transcribe_commands(tmp_path):
    from typer.testing import CliRunner

    from kiloglot.cli.main import app

    runner = CliRunner()
    wav = tmp_path / "hello.wav"
    # steady: one reading, not a varied one (Whisper once heard "set in a long" in a varied reading)
    said = runner.invoke(app, ["say", "set an alarm for eight thirty", "--locale", "en-us", "--steady",
                               "--out", str(wav)])  # fmt: skip
    assert said.exit_code == 0, said.output
    assert decode(wav).seconds > 1.0
    heard = runner.invoke(app, ["transcribe", str(wav)])
    assert heard.exit_code == 0, heard.output
    record = json.loads(heard.stdout)
    # Whisper writes 8.30 or 830 depending on the CPU kernels it picks: both become number words
    assert record["locale"] == "en-US" and "alarm for eight" in record["text"] and 0 < record["confidence"] <= 1
    assert not any(ch.isdigit() for ch in record["text"]) and any(ch.isdigit() for ch in record["raw_text"])
    # a prompt (Whisper's previous text) leaves a clear request as it was heard
    prompted = runner.invoke(app, ["transcribe", str(wav), "--locale", "en-US", "--prompt", "wake me up at six am"])
    assert prompted.exit_code == 0, prompted.output
    assert "alarm for eight" in json.loads(prompted.stdout)["text"]
    nothing = runner.invoke(app, ["say", "hello", "--locale", "km-KH", "--out", str(tmp_path / "x.wav")])
    assert nothing.exit_code != 0 and "no voice" in nothing.output and not (tmp_path / "x.wav").exists()
