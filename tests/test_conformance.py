"""One conformance suite over every registered parser kind and runtime (after scikit-learn's
``parametrize_with_checks``): the contract's promises are checked here once, for all of them.

A kind that is registered without a builder below fails ``test_every_registered_kind_is_covered``, so a
new kind (or runtime) cannot skip the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiloglot.data import segment
from kiloglot.errors import InputError
from kiloglot.nlu import (
    GivesSoftTargets,
    LearnsFromSoftTargets,
    Parse,
    Parser,
    ParsesGivenIntents,
    Saveable,
    TrainableParser,
    load,
    registry,
)

pytestmark = pytest.mark.slow

INTENTS = {"alarm_set", "weather_query", "play_music", "iot_hue_lightoff", "calendar_query", "general_greet"}
TEXTS = {
    "en-US": ["wake me up at seven tomorrow", "turn off the lights in the kitchen", "what's the weather like"],
    "ja-JP": ["明日の朝7時に起こして", "台所の電気を消して"],
}
TINY = {"dim": 32, "layers": 1, "heads": 2, "ff": 64, "vocab_size": 600, "max_len": 48, "batch_size": 32, "seed": 3}
# What each (kind, runtime) is expected to offer beyond the base contract.
CAPABILITIES: dict[tuple[str, str], set[type]] = {
    ("linear", "python"): {TrainableParser, Saveable, ParsesGivenIntents},
    ("neural", "pytorch"): {TrainableParser, Saveable, GivesSoftTargets, LearnsFromSoftTargets},
    ("neural", "onnx"): {Saveable},
    ("ensemble", "python"): {TrainableParser, Saveable, ParsesGivenIntents},
    ("scoped", "python"): {Saveable, ParsesGivenIntents},
}
OPTIONAL = (TrainableParser, Saveable, ParsesGivenIntents, GivesSoftTargets, LearnsFromSoftTargets)


@pytest.fixture(scope="module")
def data(small_corpus):
    train, dev = small_corpus
    keep = [e for loc in TEXTS for e in [x for x in train if x.locale == loc and x.intent in INTENTS][:250]]
    return keep, [e for loc in TEXTS for e in [x for x in dev if x.locale == loc and x.intent in INTENTS][:40]]


def _linear(data, tmp: Path) -> Parser:
    return registry.create("linear", jobs=1, crf_iterations=10).fit(*data)


def _neural(data, tmp: Path) -> Parser:
    pytest.importorskip("torch")
    return registry.create("neural", epochs=1, jobs=1, patience=0, **TINY).fit(*data)


def _onnx(data, tmp: Path) -> Parser:
    pytest.importorskip("onnxruntime")
    from kiloglot.nlu.neural.export import export_onnx

    neural = _neural(data, tmp)
    assert isinstance(neural, Saveable)
    neural.save(tmp / "pt")
    return load(export_onnx(tmp / "pt", tmp / "onnx"))


def _ensemble(data, tmp: Path) -> Parser:
    first = registry.create("linear", jobs=1, crf_iterations=10).fit(*data)
    second = registry.create("linear", jobs=1, crf_iterations=5, intent_c=0.1).fit(*data)
    return registry.create("ensemble", members=[first, second], weights=[0.6, 0.4])


def _scoped(data, tmp: Path) -> Parser:
    from kiloglot.learn.selflearn.scope import ScopedParser

    original = registry.create("linear", jobs=1, crf_iterations=10).fit(*data)
    refit = registry.create("linear", jobs=1, crf_iterations=5, intent_c=0.1).fit(*data)
    taught = {loc: [e for e in data[0] if e.locale == loc and e.spans][:20] for loc in TEXTS}
    return ScopedParser(original, refit, taught, "phrasing")


BUILDERS: dict[tuple[str, str], Callable[..., Parser]] = {
    ("linear", "python"): _linear,
    ("neural", "pytorch"): _neural,
    ("neural", "onnx"): _onnx,
    ("ensemble", "python"): _ensemble,
    ("scoped", "python"): _scoped,
}
KEYS = sorted(BUILDERS)


def test_every_registered_kind_is_covered():
    registered = {(e.kind, e.runtime) for e in registry.entries()}
    assert registered == set(BUILDERS), "a registered kind or runtime has no builder in the conformance suite"


@pytest.fixture(scope="module")
def parsers(data, tmp_path_factory) -> dict[tuple[str, str], Parser]:
    return {key: BUILDERS[key](data, tmp_path_factory.mktemp("_".join(key))) for key in KEYS}


@pytest.mark.parametrize("key", KEYS, ids=["/".join(k) for k in KEYS])
def test_kind_runtime_and_capabilities(parsers, key):
    p = parsers[key]
    assert isinstance(p, Parser) and (p.kind, p.runtime) == key
    assert registry.get(*key) is type(p)
    offered = {cap for cap in OPTIONAL if isinstance(p, cap)}
    assert offered == CAPABILITIES[key]


@pytest.mark.parametrize("key", KEYS, ids=["/".join(k) for k in KEYS])
def test_parse_shape_labels_and_offsets(parsers, key):
    p = parsers[key]
    intents, labels = set(p.intents), set(p.slot_labels)
    assert intents and "Other" in labels and set(p.locales) <= {"en-US", "ja-JP"}
    for locale, texts in TEXTS.items():
        parses = p.parse(texts, locale)
        assert isinstance(parses, list) and len(parses) == len(texts)
        for text, parse in zip(texts, parses):
            assert isinstance(parse, Parse) and parse.text == text and parse.locale == locale
            assert parse.intent in intents and 0.0 <= parse.confidence <= 1.0 + 1e-9
            probs = [q for _, q in parse.alternatives]
            assert parse.alternatives and parse.alternatives[0][0] == parse.intent
            assert probs == sorted(probs, reverse=True)
            assert len(parse.word_labels) == len(segment(text, locale)) and set(parse.word_labels) <= labels
            for slot in parse.slots:
                assert 0 <= slot.start < slot.end <= len(text) and text[slot.start : slot.end] == slot.value
                assert slot.name in labels
        one_by_one = [p.parse([t], locale)[0] for t in texts]
        assert [(q.intent, q.word_labels) for q in one_by_one] == [(q.intent, q.word_labels) for q in parses]


@pytest.mark.parametrize("key", KEYS, ids=["/".join(k) for k in KEYS])
def test_parse_examples_keeps_the_order_of_mixed_locales(parsers, data, key):
    p = parsers[key]
    _, dev = data
    en, ja = ([e for e in dev if e.locale == loc][:10] for loc in ("en-US", "ja-JP"))
    mixed = [e for pair in zip(en, ja) for e in pair]  # en, ja, en, ja ...
    assert len(mixed) == 20
    parses = p.parse_examples(mixed)
    assert [(q.text, q.locale) for q in parses] == [(e.text, e.locale) for e in mixed]


@pytest.mark.parametrize("key", KEYS, ids=["/".join(k) for k in KEYS])
def test_bad_requests_are_input_errors(parsers, key):
    p = parsers[key]
    with pytest.raises(InputError, match="not one string"):
        p.parse("wake me up", "en-US")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="empty"):
        p.parse(["   "], "en-US")
    with pytest.raises(InputError, match="unknown locale 'xx-XX'"):
        p.parse(["hello"], "xx-XX")
    if not p.supports("de-DE"):
        with pytest.raises(InputError, match="not trained on locale 'de-DE'"):
            p.parse(["hallo"], "de-DE")


@pytest.mark.parametrize("key", KEYS, ids=["/".join(k) for k in KEYS])
def test_save_load_round_trip_parses_the_same(parsers, key, tmp_path):
    p = parsers[key]
    assert isinstance(p, Saveable)
    path = p.save(tmp_path / "model", metrics={"note": "conformance"})
    again = load(path)
    assert (again.kind, again.runtime) == key and again.locales == p.locales
    assert again.intents == p.intents and again.slot_labels == p.slot_labels
    for locale, texts in TEXTS.items():
        assert [q.to_dict() for q in again.parse(texts, locale)] == [q.to_dict() for q in p.parse(texts, locale)]
    p.save(path)  # saving over a model replaces it
    assert load(path).locales == p.locales


@pytest.mark.parametrize("key", [k for k in KEYS if TrainableParser in CAPABILITIES[k]], ids=lambda k: "/".join(k))
def test_get_params_makes_an_untrained_copy(parsers, key):
    p = parsers[key]
    assert isinstance(p, TrainableParser)
    params = p.get_params()
    copy = registry.create(key[0], **params)
    assert type(copy) is type(p) and copy.get_params() == params
    groups = p.option_groups()
    assert all(isinstance(g, type) for g in groups.values())
    if groups:
        with pytest.raises(InputError, match="unknown option"):
            registry.create(key[0], no_such_option=1)
