"""One options path, one settings object, one registry: what each promises, without training anything."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Literal

import pytest

from kiloglot import options as opt
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu import registry
from kiloglot.nlu.linear import LinearOptions
from kiloglot.settings import Settings


@dataclass(frozen=True)
class Shape:
    width: int = 8
    rate: float = 0.5
    fast: bool = False
    name: str | None = None
    mode: Literal["a", "b"] = "a"


def test_text_is_parsed_into_the_declared_type():
    given = opt.parse_assignments(["width=16", "rate=1e-3", "fast=yes", "name=none", "mode=b"])
    assert opt.build(Shape, given, what="the shape") == Shape(16, 1e-3, True, None, "b")
    assert opt.build(Shape, opt.parse_assignments(["fast=0", "name=x"]), what="s") == Shape(fast=False, name="x")
    for item, expected in (
        ("width=1.5", "width '1.5': expected a whole number"),
        ("fast=maybe", "fast 'maybe': expected true or false"),
        ("mode=c", "mode 'c': expected one of 'a', 'b'"),
        ("rate=fast", "rate 'fast': expected a number"),
    ):
        with pytest.raises(InputError, match=expected):
            opt.build(Shape, opt.parse_assignments([item]), what="the shape")
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        opt.parse_assignments(["width"])


def test_python_values_are_checked_not_guessed():
    assert opt.build(Shape, {"rate": 1, "width": 3}, what="s") == Shape(rate=1.0, width=3)  # an int is a number
    with pytest.raises(InputError, match="fast 'yes': expected true or false"):
        opt.build(Shape, {"fast": "yes"}, what="s")
    with pytest.raises(InputError, match=r"width 2\.0: expected a whole number"):
        opt.build(Shape, {"width": 2.0}, what="s")


def test_unknown_keys_are_refused_with_the_valid_ones_listed():
    with pytest.raises(InputError, match=r"unknown option\(s\) for the shape: depth; expected some of: width, rate"):
        opt.build(Shape, {"depth": 3}, what="the shape")
    groups = opt.split({"width": 3, "crf_c1": 0.1}, {"shape": Shape, "linear": LinearOptions}, what="both")
    assert groups == {"shape": {"width": 3}, "linear": {"crf_c1": 0.1}}
    with pytest.raises(InputError, match=r"unknown option.*: depth; expected some of: compact_slots"):
        opt.split({"depth": 1}, {"shape": Shape, "linear": LinearOptions}, what="both")


def test_range_checks_run_on_construction_whatever_the_path():
    with pytest.raises(InputError, match=r"intent_density 2: expected a fraction in \(0, 1\]"):
        opt.build(LinearOptions, opt.parse_assignments(["intent_density=2"]), what="the linear parser")
    with pytest.raises(InputError, match="crf_iterations 0"):
        registry.create("linear", crf_iterations=0)


def test_parsers_take_their_options_through_the_same_path():
    linear = registry.create("linear", **opt.parse_assignments(["intent_density=0.25", "jobs=1"]))
    assert linear.get_params()["intent_density"] == 0.25 and linear.get_params()["jobs"] == 1
    assert registry.create("linear", **linear.get_params()).get_params() == linear.get_params()
    with pytest.raises(InputError, match=r"unknown option\(s\) for the linear parser: dim"):
        registry.create("linear", dim=128)


def test_settings_read_every_kiloglot_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("KILOGLOT_CACHE", str(tmp_path))
    monkeypatch.setenv("KILOGLOT_JOBS", "3")
    monkeypatch.setenv("KILOGLOT_MAILDIR", str(tmp_path / "mail"))
    monkeypatch.setenv("KILOGLOT_LOG_LEVEL", "debug")
    s = Settings.from_env()
    assert s.cache == tmp_path and s.workers == 3 and s.log_level == "DEBUG" and s.maildir == tmp_path / "mail"
    assert s.database_url() == f"sqlite:///{tmp_path / 'assistant.db'}"
    monkeypatch.setenv("KILOGLOT_DATABASE", "postgresql://u@h/db")
    assert Settings.from_env().database_url() == "postgresql://u@h/db"
    monkeypatch.setenv("KILOGLOT_JOBS", "many")
    with pytest.raises(InputError, match="KILOGLOT_JOBS='many'"):
        Settings.from_env()


def test_registry_keys_kinds_by_runtime_and_reads_entry_points(monkeypatch, tmp_path):
    keys = {(e.kind, e.runtime) for e in registry.entries()}
    assert {("linear", "python"), ("neural", "pytorch"), ("neural", "onnx"), ("ensemble", "python")} <= keys
    assert registry.get("linear") is registry.get("linear", "python")
    with pytest.raises(InputError, match="unknown parser kind 'linear' in runtime 'onnx'"):
        registry.get("linear", "onnx")
    # a third-party kind, found through the entry-point group, imported only when asked for
    plugin = tmp_path / "kiloglot_echo.py"
    plugin.write_text(
        "from kiloglot.nlu import Parser, Parse\n"
        "class Echo(Parser):\n"
        "    kind, runtime = 'echo', 'python'\n"
        "    locales = property(lambda self: ['en-US'])\n"
        "    intents = property(lambda self: ['general_greet'])\n"
        "    slot_labels = property(lambda self: ['Other'])\n"
        "    def parse(self, texts, locale):\n"
        "        return [Parse(t, locale, 'general_greet', 1.0) for t in texts]\n"
        "    @classmethod\n"
        "    def from_artifact(cls, path, manifest):\n"
        "        return cls()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    class EntryPoint:
        name, value = "echo", "kiloglot_echo:Echo"

    monkeypatch.setattr(
        registry, "entry_points", lambda group: [EntryPoint()] if group == registry.ENTRY_POINT_GROUP else []
    )
    monkeypatch.setattr(registry, "_plugins_read", False)
    monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    assert "kiloglot_echo" not in sys.modules and "echo" in registry.kinds()
    model = tmp_path / "m"
    model.mkdir()
    manifest = {"format_version": 2, "library": "kiloglot", "kind": "echo", "runtime": "python",
                "locales": ["en-US"], "intents": ["general_greet"], "slots": ["Other"]}  # fmt: skip
    (model / "manifest.json").write_text(json.dumps(manifest))
    assert registry.load(model).parse(["hi"], "en-US")[0].intent == "general_greet"
    with pytest.raises(InputError, match="cannot be trained here"):
        registry.create("echo")
    (model / "manifest.json").write_text(json.dumps({**manifest, "kind": "nothing"}))
    with pytest.raises(ModelError, match="unknown parser kind 'nothing' in runtime 'python'"):
        registry.load(model)
