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
