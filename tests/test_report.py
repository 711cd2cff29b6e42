import json

from kiloglot.evaluation import build_report, predictions_jsonl
from kiloglot.nlu import load


def test_report_files_and_groups(trained_model, small_corpus, tmp_path):
    _, dev = small_corpus
    dev = [e for e in dev if int(e.id) % 5 == 0]
    parses = load(trained_model).parse_examples(dev)
    report = build_report(dev, parses, {"title": "t"})
    assert set(report.per_locale) == {"en-US", "ja-JP", "sw-KE"}
    assert set(report.by_script) == {"Latn", "Jpan"} and set(report.by_family) == {
        "Indo-European",
        "Japanese",
        "Niger-Congo",
    }
    assert (
        abs(
            report.by_script["Latn"].exact_match
            - (report.per_locale["en-US"].exact_match + report.per_locale["sw-KE"].exact_match) / 2
        )
        < 1e-12
    )
    files = report.write(tmp_path / "rep.json")
    assert [f.suffix for f in files] == [".json", ".md", ".png"]
    data = json.loads(files[0].read_text())
    assert data["mean"]["exact_match"] == report.mean.exact_match
    assert "| **mean over 3 locales** |" in files[1].read_text()
    assert files[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    predictions_jsonl(dev, parses, tmp_path / "pred.jsonl")
    lines = [json.loads(l) for l in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert len(lines) == len(dev) and lines[0]["id"] == dev[0].id
    assert lines[0]["pred_intent"] == parses[0].intent
