from __future__ import annotations

import random

import pytest

from kiloglot.data import AnnotationError, MassiveReader, SlotCodec, Span, spans_from_word_labels


def test_english_decode_gives_words_labels_and_offsets():
    ex = SlotCodec.decode(
        "wake me up at [time : five am] [date : this week]", "en-US", "wake me up at five am this week"
    )
    assert ex.words == ("wake", "me", "up", "at", "five", "am", "this", "week")
    assert ex.word_labels == ("Other",) * 4 + ("time", "time", "date", "date")
    assert ex.spans == (Span("time", 14, 21), Span("date", 22, 31))
    assert SlotCodec.encode(ex) == "wake me up at [time : five am] [date : this week]"


def test_japanese_spaces_only_in_annotation_round_trip():
    annot = "[date : 金曜日] の [time : 午前九時] に起こしてください"
    ex = SlotCodec.decode(annot, "ja-JP", "金曜日の午前九時に起こしてください")
    assert ex.text == "金曜日の午前九時に起こしてください"
    assert [ex.text[s.start : s.end] for s in ex.spans] == ["金曜日", "午前九時"]
    assert ex.words[:4] == ("金", "曜", "日", "の")
    assert ex.word_labels[:4] == ("date", "date", "date", "Other")
    assert SlotCodec.encode(ex) == annot


def test_repeated_value_is_located_where_the_annotation_puts_it():
    annot = "我想聽 [song_name : 我]"
    ex = SlotCodec.decode(annot, "zh-TW", "我想聽我")
    assert ex.spans == (Span("song_name", 3, 4),)
    assert ex.word_labels == ("Other", "Other", "Other", "song_name")
    assert SlotCodec.encode(ex) == annot


def test_latin_run_inside_japanese_is_one_word():
    ex = SlotCodec.decode("[media_type : facebook] にステータスを送信して", "ja-JP")
    assert ex.words[:2] == ("facebook", "に")
    assert ex.word_labels[:2] == ("media_type", "Other")


@pytest.mark.parametrize(
    "bad",
    [
        "play [song_name : x",
        "play song_name : x]",
        "play [ : x]",
        "play [a : [b : x]]",
        "play [song_name : ]",
        "play [song_name x]",
    ],
)
def test_malformed_annotation_is_rejected(bad):
    with pytest.raises(AnnotationError):
        SlotCodec.decode(bad, "en-US")


def test_annotation_that_does_not_match_utt_is_rejected():
    with pytest.raises(AnnotationError, match="does not match utt"):
        SlotCodec.decode("play [song_name : hello]", "en-US", "play goodbye")


def test_adjacent_equal_labels_make_one_span():
    offsets = [(0, 1), (2, 3), (4, 5), (6, 7)]
    spans = spans_from_word_labels(offsets, ["date", "date", "Other", "time"])
    assert spans == [Span("date", 0, 3), Span("time", 6, 7)]


def test_round_trip_on_a_sample_of_every_locale(massive_path):
    """Exact round trip for 120 random records of each of the 52 locales (the script checks all)."""
    rng = random.Random(7)
    import json
    import tarfile

    from kiloglot.data.massive import _MEMBER

    seen = set()
    checked = 0
    with tarfile.open(massive_path, "r:*") as tar:
        for member in tar:
            m = _MEMBER.search(member.name)
            if not m:
                continue
            lines = tar.extractfile(member).read().decode("utf-8").splitlines()
            for line in rng.sample(lines, 120):
                rec = json.loads(line)
                ex = SlotCodec.decode(rec["annot_utt"], rec["locale"], rec["utt"])
                assert SlotCodec.encode(ex) == rec["annot_utt"], rec
                assert ex.text == rec["utt"]
                checked += 1
            seen.add(m.group(1))
    assert len(seen) == 52 and checked == 52 * 120


def test_reader_reads_all_locale_partitions(massive_path):
    reader = MassiveReader(massive_path, ["sw-KE"], ["dev"])
    examples = reader.read()
    assert len(examples) == 2033
    assert {e.partition for e in examples} == {"dev"} and {e.locale for e in examples} == {"sw-KE"}
