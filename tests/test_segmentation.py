import pytest

from kiloglot.data import segment, word_offsets


def test_character_locales_keep_latin_and_digit_runs_whole():
    assert segment("iPhone13を買って", "ja-JP") == ["iPhone13", "を", "買", "っ", "て"]
    assert segment("播放 taylor swift 的歌", "zh-CN") == ["播", "放", "taylor", "swift", "的", "歌"]
    assert segment("e-メール", "ja-JP") == ["e", "-", "メ", "ー", "ル"]


def test_other_locales_split_on_whitespace_thai_included():
    assert segment("ปลุกฉัน ตอน เก้าโมงเช้า", "th-TH") == ["ปลุกฉัน", "ตอน", "เก้าโมงเช้า"]
    assert segment("  wake  me\tup ", "en-US") == ["wake", "me", "up"]


def test_offsets_point_into_the_text():
    text = "明日 9時に起こして"
    for s, e in word_offsets(text, "ja-JP"):
        assert text[s:e].strip() == text[s:e] != ""


def test_unspaced_thai_khmer_and_lao_are_cut_into_words_with_offsets_into_the_text():
    from kiloglot.data.segmentation import input_word_offsets, official_segmentation

    thai = "ตั้งปลุกเจ็ดโมงเช้าพรุ่งนี้"
    words = [thai[s:e] for s, e in input_word_offsets(thai, "th-TH")]
    assert words == ["ตั้ง", "ปลุก", "เจ็ด", "โมง", "เช้า", "พรุ่งนี้"]
    khmer = "កំណត់ម៉ោងរោទិ៍នៅពីរម៉ោងក្រោយ"
    assert (
        len(input_word_offsets(khmer, "km-KH")) >= 5
        and "".join(khmer[s:e] for s, e in input_word_offsets(khmer, "km-KH")) == khmer
    )
    lao = "ຂ້ອຍຢາກໄປຕະຫຼາດ"
    assert [lao[s:e] for s, e in input_word_offsets(lao, "lo-LA")] == ["ຂ້ອຍ", "ຢາກ", "ໄປ", "ຕະຫຼາດ"]
    spaced = "ปลุกฉัน ตอน เก้าโมงเช้า วันศุกร์"  # as MASSIVE writes it: left alone
    assert input_word_offsets(spaced, "th-TH") == word_offsets(spaced, "th-TH")
    burmese = "ငါ့ကိုသောကြာနေ့ရဲ့မနက်ကိုးနာရီမှာနှိုးပေးပါ"  # syllables lost exact match: left whole
    assert input_word_offsets(burmese, "my-MM") == [(0, len(burmese))]
    with official_segmentation():  # evaluation reads MASSIVE's words
        assert input_word_offsets(thai, "th-TH") == [(0, len(thai))]


@pytest.mark.slow
def test_unspaced_thai_gets_its_slots(massive_path):
    from kiloglot.data import read_massive
    from kiloglot.nlu import registry

    train = [e for e in read_massive(massive_path, ["th-TH"], ["train"]) if int(e.id) % 2 == 0]
    parser = registry.create("linear", jobs=1, crf_iterations=40, unspaced_copies=True).fit(train, [])
    text = "ปลุกฉันตอนเก้าโมงเช้าวันศุกร์"  # "wake me at nine am on friday", typed without spaces
    parse = parser.parse([text], "th-TH")[0]
    assert parse.intent == "alarm_set"
    slots = {s.name: s for s in parse.slots}
    assert "time" in slots and "เก้าโมง" in slots["time"].value, parse.slots
    assert all(text[s.start : s.end] == s.value for s in parse.slots)


def test_unspaced_copies_keep_each_words_label():
    from kiloglot.data.codec import SlotCodec
    from kiloglot.data.unspaced import unspaced_copy

    ex = SlotCodec.decode("olly ตั้ง ปลุก [time : เจ็ดโมงเช้า] [date : พรุ่งนี้]", "th-TH", id="7")
    copy = unspaced_copy(ex)
    assert copy is not None and copy.text == "olly ตั้งปลุกเจ็ดโมงเช้าพรุ่งนี้"  # Latin keeps its space
    assert [copy.text[s:e] for s, e in copy.word_offsets] == list(copy.words)
    assert dict(zip(copy.words, copy.word_labels)) == {"olly": "Other", "ตั้ง": "Other", "ปลุก": "Other",
        "เจ็ด": "time", "โมง": "time", "เช้า": "time", "พรุ่งนี้": "date"}  # fmt: skip
    assert unspaced_copy(SlotCodec.decode("wake me up at [time : seven]", "en-US")) is None


def test_burmese_is_cut_into_syllables_only_for_models_trained_on_such_copies():
    from kiloglot.data.codec import SlotCodec
    from kiloglot.data.segmentation import SYLLABLE_LANGUAGES, UNSPACED_LANGUAGES, input_word_offsets
    from kiloglot.data.unspaced import unspaced_copy

    typed = "မနက်ဖြန်မနက်ခုနစ်နာရီနှိုးပါ"  # "wake me at seven tomorrow morning", no spaces
    assert input_word_offsets(typed, "my-MM") == [(0, len(typed))]  # a model that saw MASSIVE's pieces only
    cut = input_word_offsets(typed, "my-MM", UNSPACED_LANGUAGES | SYLLABLE_LANGUAGES)
    assert len(cut) >= 8 and "".join(typed[s:e] for s, e in cut) == typed
    assert typed[cut[0][0] : cut[0][1]] == "မ"
    ex = SlotCodec.decode("[date : မနက်ဖြန်] [timeofday : မနက်] [time : ခုနစ်နာရီ] နှိုးပါ", "my-MM", id="3")
    copy = unspaced_copy(ex)
    assert copy is not None and copy.text == typed
    assert [copy.text[s:e] for s, e in copy.word_offsets] == list(copy.words)
    assert copy.word_labels[: len(copy.words) - 2].count("time") >= 2 and copy.word_labels[0] == "date"
