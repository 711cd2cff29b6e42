from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from kiloglot.data import MassiveReader, read_massive
from kiloglot.errors import DataError

REC = {
    "id": "1",
    "locale": "en-US",
    "partition": "train",
    "scenario": "alarm",
    "intent": "alarm_set",
    "utt": "wake me up at nine am",
    "annot_utt": "wake me up at [time : nine am]",
}
OFFICIAL = {
    **REC,
    "id": "2",
    "partition": "dev",
    "worker_id": "8",
    "slot_method": [{"slot": "time", "method": "translation"}],
    "judgments": [{"worker_id": "8", "intent_score": 1}],
}


def _write_jsonl(path: Path, records: list, raw_lines: list[str] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_with_and_without_official_extra_fields(tmp_path):
    path = _write_jsonl(tmp_path / "en-US.jsonl", [REC, OFFICIAL])
    examples = read_massive(path)
    assert [e.id for e in examples] == ["1", "2"]
    assert examples[1].word_labels[-2:] == ("time", "time")


def test_folder_and_tarball_layouts_and_filters(tmp_path):
    de = {**REC, "locale": "de-DE", "utt": "weck mich um neun", "annot_utt": "weck mich um [time : neun]"}
    _write_jsonl(tmp_path / "1.1" / "data" / "en-US.jsonl", [REC, OFFICIAL])
    _write_jsonl(tmp_path / "1.1" / "data" / "de-DE.jsonl", [de])
    assert len(read_massive(tmp_path)) == 3
    assert [e.locale for e in read_massive(tmp_path, ["de-DE"])] == ["de-DE"]
    assert [e.id for e in read_massive(tmp_path, None, ["dev"])] == ["2"]
    archive = tmp_path / "massive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "1.1", arcname="1.1")
    assert sorted(e.locale for e in read_massive(archive)) == ["de-DE", "en-US", "en-US"]


def test_malformed_record_names_file_line_and_problem(tmp_path):
    path = _write_jsonl(tmp_path / "en-US.jsonl", [REC], ['{"id": "3", "locale": "en-US"'])
    with pytest.raises(DataError, match=r"en-US.jsonl, line 2: not valid JSON"):
        read_massive(path)
    bad_annot = {**REC, "id": "4", "annot_utt": "wake me up at [time : nine am"}
    path = _write_jsonl(tmp_path / "b" / "en-US.jsonl", [REC, REC, bad_annot])
    with pytest.raises(DataError, match=r"line 3: bad annot_utt: slot opened at character 14 is never closed"):
        read_massive(path)
    missing = {k: v for k, v in REC.items() if k != "intent"}
    path = _write_jsonl(tmp_path / "c" / "en-US.jsonl", [missing])
    with pytest.raises(DataError, match=r"line 1: missing or non-string field\(s\): intent"):
        read_massive(path)


def test_skip_bad_counts_and_keeps_the_good_records(tmp_path):
    path = _write_jsonl(tmp_path / "en-US.jsonl", [REC, {**REC, "locale": "xx-XX"}, OFFICIAL], ["[1, 2]"])
    reader = MassiveReader(path, skip_bad=True)
    assert [e.id for e in reader.read()] == ["1", "2"]
    assert [(b.line, b.problem) for b in reader.skipped] == [
        (2, "unknown locale 'xx-XX'"),
        (4, "expected a JSON object"),
    ]


def test_non_utf8_file_is_reported(tmp_path):
    path = tmp_path / "en-US.jsonl"
    path.write_bytes(json.dumps(REC).encode() + b"\n\xff\xfe\n")
    with pytest.raises(DataError, match="line 2: not valid UTF-8"):
        read_massive(path)


def test_missing_or_wrong_source_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_massive(tmp_path / "nope.tar.gz")
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(DataError, match=r"expected a \.tar\.gz"):
        read_massive(tmp_path / "x.csv")
    with pytest.raises(DataError, match="unknown partition"):
        MassiveReader(tmp_path, partitions=["valid"])


def test_summaries_count_what_a_full_read_counts_and_check_the_same_things(massive_path, tmp_path):
    from kiloglot.data import summarize

    full = summarize(read_massive(massive_path, ["sw-KE", "th-TH"]))
    files: list[str] = []
    light = summarize(MassiveReader(massive_path, ["sw-KE", "th-TH"]).summaries(files.append))
    assert light.to_dict() == full.to_dict()
    assert [Path(f.rsplit(":", 1)[-1]).name for f in files] == ["sw-KE.jsonl", "th-TH.jsonl"]
    bad_annot = {**REC, "id": "4", "annot_utt": "wake me up at [time : nine am"}
    path = _write_jsonl(tmp_path / "en-US.jsonl", [REC, bad_annot])
    with pytest.raises(DataError, match=r"line 2: bad annot_utt: slot opened at character 14 is never closed"):
        list(MassiveReader(path).summaries())
