"""Properties that must hold for any input, checked on generated cases (hypothesis): the [slot : value]
codec round-trips and keeps offsets exact; the MASSIVE reader turns any line into a record or one clear
DataError naming its file and line, and never anything else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiloglot.data import MassiveReader
from kiloglot.data.codec import AnnotationError, SlotCodec
from kiloglot.data.example import Span
from kiloglot.data.locales import LOCALES, known_locale
from kiloglot.errors import DataError

# text pieces without the markup characters; any script, spaces inside
PLAIN = st.text(st.characters(blacklist_characters="[]:", blacklist_categories=("Cs", "Cc")), max_size=12)
NAME = st.sampled_from(["time", "date", "place_name", "event_name", "food_type"])
VALUE = PLAIN.map(str.strip).filter(bool)
LOCALE = st.sampled_from(sorted(LOCALES))


@st.composite
def annotated(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]]]:
    """(annot_utt, plain text, [(slot, value)]) built from alternating plain text and slots."""
    pieces = draw(st.lists(st.tuples(PLAIN, st.one_of(st.none(), st.tuples(NAME, VALUE))), min_size=1, max_size=5))
    annot, plain, slots = [], [], []
    for text, slot in pieces:
        annot.append(text)
        plain.append(text)
        if slot:
            name, value = slot
            sep = " " if plain and plain[-1] and not plain[-1].endswith(" ") else ""
            annot.append(f"{sep}[{name} : {value}] ")
            plain.append(f"{sep}{value} ")
            slots.append((name, value))
    return "".join(annot), "".join(plain), slots


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(annotated(), LOCALE)
def test_codec_decodes_offsets_exactly_and_encodes_back(case, locale):
    annot, plain, slots = case
    spans = SlotCodec.spans(annot)
    assert [(s.name, plain[s.start : s.end]) for s in spans] == slots
    example = SlotCodec.decode(annot, locale)
    assert example.text == plain
    assert [(s.name, example.text[s.start : s.end]) for s in example.spans] == slots
    assert all(isinstance(s, Span) for s in example.spans)
    # with its utt, as MASSIVE stores it (unspaced locales space out the markup in annot_utt)
    again = SlotCodec.decode(SlotCodec.encode(example), locale, example.text)
    assert again.text == example.text and again.spans == example.spans
    assert again.words == example.words and again.word_labels == example.word_labels


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_codec_rejects_broken_markup_with_its_own_error_only(annot):
    try:
        SlotCodec.decode(annot, "en-US")
    except AnnotationError:
        pass  # the one error bad markup may raise


FIELD = st.sampled_from(["id", "locale", "partition", "intent", "annot_utt", "utt"])
LINE = st.one_of(
    st.text(max_size=60),  # anything at all
    st.builds(json.dumps, st.dictionaries(FIELD, st.one_of(st.text(max_size=20), st.integers(), st.none()))),
    st.builds(
        lambda locale, partition, annot: json.dumps(
            {"id": "1", "locale": locale, "partition": partition, "intent": "alarm_set", "annot_utt": annot}
        ),
        st.one_of(LOCALE, st.text(max_size=5)),
        st.sampled_from(["train", "dev", "test", "other"]),
        st.one_of(annotated().map(lambda c: c[0]), st.text(max_size=30)),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LINE, min_size=1, max_size=6))
@example(lines=['{"id": "1", "locale": "AE", "partition": "train", "intent": "alarm_set", "annot_utt": ""}'])
def test_reader_gives_records_or_one_clear_error_naming_the_line(tmp_path, lines):
    path = tmp_path / "en-US.jsonl"
    path.write_text("\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines) + "\n", encoding="utf-8")
    try:
        records = MassiveReader(path).read()
    except DataError as exc:
        assert str(exc).startswith(f"{path}, line ") and "skip_bad" in str(exc)
    else:
        assert all(known_locale(r.locale) for r in records)  # MASSIVE's, or an ISO 639 code as written
    skipping = MassiveReader(path, skip_bad=True)
    kept = skipping.read()  # skip_bad never raises on a record
    assert len(kept) + len(skipping.skipped) <= len(lines)
