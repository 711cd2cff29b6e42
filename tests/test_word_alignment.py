"""How MASSIVE words meet sub-word pieces (``WordTokenizer.alignment``)."""

from __future__ import annotations

import pytest

from kiloglot.data import segment

pytest.importorskip("torch")

from kiloglot.nlu.neural.tokenization import WordTokenizer, character_runs, train_unigram


@pytest.fixture(scope="module")
def unigram(small_corpus):
    train, _ = small_corpus
    return train_unigram((e.text for e in train if e.locale in ("en-US", "ja-JP")), 2000)


def _tokenizer(backend, alignment: str) -> WordTokenizer:
    return WordTokenizer(backend, backend.token_to_id("[PAD]"), backend.token_to_id("[MASK]"), 96, alignment)


def test_character_runs_join_only_cjk_characters():
    words = segment("olly 明日の天気は? iPhone13 を買って", "ja-JP")
    runs = character_runs(words)
    assert [text for text, _ in runs] == ["olly", "明日の天気は", "?", "iPhone13", "を買って"]
    assert [i for _, members in runs for i in members] == list(range(len(words)))
    # Words of space-separated locales stay one run each, one-letter words included.
    assert [t for t, _ in character_runs(["я", "в", "дом"])] == ["я", "в", "дом"]


def test_content_alignment_reads_ja_as_running_text(unigram):
    first, content = _tokenizer(unigram, "first"), _tokenizer(unigram, "content")
    markers = {i for p, i in unigram.get_vocab().items() if p.strip("▁") == ""}
    assert markers, "a Metaspace tokenizer has a bare word-start piece"
    words = segment("明日の午前六時にアラームを設定して", "ja-JP")
    a, b = first.encode(words), content.encode(words)
    assert len(a.first) == len(b.first) == len(words)
    # One pre-token per character puts a word-start marker before each; running text does not.
    assert len(b.ids) < len(a.ids)
    assert sum(a.ids[p] in markers for p in a.first) > 0
    assert all(b.ids[p] not in markers for p in b.first)
    # Positions follow the text, and a character sits in the piece that holds it.
    assert b.first == sorted(b.first) and min(b.first) > 0
    for w, p in zip(words, b.first):
        assert w in unigram.id_to_token(b.ids[p])


def test_content_alignment_changes_nothing_else(unigram):
    first, content = _tokenizer(unigram, "first"), _tokenizer(unigram, "content")
    markers = {i for p, i in unigram.get_vocab().items() if p.strip("▁") == ""}
    for text in ("wake me up at seven tomorrow", "what is the weather in paris"):
        words = segment(text, "en-US")
        a, b = first.encode(words), content.encode(words)
        assert a.ids == b.ids
        # The same piece, or the first piece with content when the word starts with a bare marker.
        for pa, pb in zip(a.first, b.first):
            assert pa == pb or (a.ids[pa] in markers and pb == pa + 1)
    with pytest.raises(ValueError, match="word alignment 'words'"):
        _tokenizer(unigram, "words")


def test_truncated_words_get_no_position(unigram):
    tok = WordTokenizer(unigram, unigram.token_to_id("[PAD]"), None, 8, "content")
    words = [*segment("明日の午前六時にアラームを設定して", "ja-JP"), "and", "then", "some", "more"]
    enc = tok.encode(words)
    assert len(enc.ids) == 8 and len(enc.first) == len(words)
    assert enc.first[-1] == -1 and all(0 < p < 7 for p in enc.first if p >= 0)
    # Cut inside a run of characters: those past the cut have no position either.
    cut = tok.encode(segment("明日の午前六時にアラームを設定してください", "ja-JP"))
    assert cut.first[-1] == -1 and cut.first[0] > 0


@pytest.mark.slow
def test_models_saved_before_the_option_keep_their_alignment(small_corpus, tmp_path):
    """A Hugging Face encoder defaults to ``content``; an artifact without the option loads as ``first``."""
    from artifact_helpers import as_format_1
    from neural_helpers import tiny_hf_encoder

    from kiloglot.nlu import load, registry

    train, dev = small_corpus
    tr = [e for e in train if e.locale in ("en-US", "ja-JP")][:300]
    enc_dir = tmp_path / "enc"
    tiny_hf_encoder(enc_dir, [e.text for e in tr])
    parser = registry.create("neural", encoder=f"hf:{enc_dir}", epochs=1, batch_size=32, max_len=48)
    assert parser.options.word_alignment == "content"
    assert registry.create("neural").options.word_alignment == "first"  # scratch encoders
    parser.fit(tr)
    parser.save(tmp_path / "m")
    assert load(tmp_path / "m").tokenizer.alignment == "content"
    as_format_1(tmp_path / "m", drop_options=("word_alignment",))
    old = load(tmp_path / "m")
    assert old.options.word_alignment == "first" and old.tokenizer.alignment == "first"
    parser.tokenizer.alignment = "first"
    texts = [e.text for e in dev if e.locale == "ja-JP"][:10]
    assert [p.to_dict() for p in old.parse(texts, "ja-JP")] == [p.to_dict() for p in parser.parse(texts, "ja-JP")]
