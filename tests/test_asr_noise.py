"""Simulated recognition errors for ASR-robust training: look-alike words keep the label of the word they
replace, the copies are MASSIVE examples, the noise is seeded, unspaced locales are left alone."""

from __future__ import annotations

import pytest

from kiloglot.data import SlotCodec
from kiloglot.errors import InputError
from kiloglot.learn.asr_noise import NoiseSettings, noisy_copies


def _examples():
    rows = [
        ("wake me up at [time : seven am] [date : tomorrow]", "alarm_set"),
        ("set an alarm for [time : eight pm]", "alarm_set"),
        ("what is the weather in [place_name : paris]", "weather_query"),
        ("play [artist_name : queen] please", "play_music"),
        ("turn the lights off in the [house_place : kitchen]", "iot_hue_lightoff"),
        ("make the room darker", "iot_hue_lightdim"),
    ]
    return [SlotCodec.decode(a, "en-US", id=str(i), intent=t) for i, (a, t) in enumerate(rows)]


def test_noisy_copies_keep_labels_and_are_seeded() -> None:
    heavy = NoiseSettings(substitute=0.5, drop=0.2, insert=0.1, copies=3, seed=1)
    copies = noisy_copies(_examples(), heavy)
    assert copies and copies == noisy_copies(_examples(), heavy)
    originals = {e.id: e for e in _examples()}
    for c in copies:
        source = originals[c.id.split("~")[0]]
        assert c.intent == source.intent and c.words != source.words and len(c.words) == len(c.word_labels)
        assert set(c.word_labels) <= set(source.word_labels)  # a heard word takes a label the utterance had
        assert SlotCodec.decode(SlotCodec.encode(c), "en-US").word_labels == c.word_labels
    assert noisy_copies(_examples(), NoiseSettings(substitute=0.5, seed=2)) != copies


def test_unspaced_locales_are_left_alone_and_rates_are_checked() -> None:
    ja = [SlotCodec.decode("[time : 七時] に 起こして", "ja-JP", id="1", intent="alarm_set")]
    assert noisy_copies(ja, NoiseSettings(substitute=0.5)) == []
    with pytest.raises(InputError, match="substitute"):
        NoiseSettings(substitute=0.9)
