"""Per-locale, mean and grouped MASSIVE reports as JSON, a Markdown table and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiloglot.data.example import Example
from kiloglot.data.locales import locale_info
from kiloglot.evaluation.metrics import Scores, mean_scores, score
from kiloglot.fileio import atomic_write
from kiloglot.nlu.parse import Parse


@dataclass
class Report:
    per_locale: dict[str, Scores]
    mean: Scores
    by_script: dict[str, Scores]
    by_family: dict[str, Scores]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "mean": self.mean.as_dict(),
            "per_locale": {k: v.as_dict() for k, v in self.per_locale.items()},
            "by_script": {k: v.as_dict() for k, v in self.by_script.items()},
            "by_family": {k: v.as_dict() for k, v in self.by_family.items()},
        }

    def worst(self, k: int = 5) -> list[tuple[str, Scores]]:
        return sorted(self.per_locale.items(), key=lambda kv: kv[1].exact_match)[:k]

    def markdown(self) -> str:
        def row(name: str, s: Scores) -> str:
            return (
                f"| {name} | {s.n} | {100 * s.exact_match:.1f} ± {100 * s.exact_match_stderr:.1f} | "
                f"{100 * s.intent_accuracy:.1f} ± {100 * s.intent_accuracy_stderr:.1f} | "
                f"{100 * s.slot_micro_f1:.1f} ± {100 * s.slot_micro_f1_stderr:.1f} |"
            )

        head = "| {} | n | exact match | intent acc. | slot F1 |\n|---|---:|---:|---:|---:|"
        lines = [head.format("locale")]
        lines += [row(k, v) for k, v in sorted(self.per_locale.items())]
        lines.append(row(f"**mean over {len(self.per_locale)} locales**", self.mean))
        out = ["\n".join(lines)]
        for title, groups in (("script", self.by_script), ("family", self.by_family)):
            if len(groups) > 1:
                out.append("\n".join([head.format(title), *(row(k, v) for k, v in sorted(groups.items()))]))
        return "\n\n".join(out) + "\n"

    def plot(self, path: str | Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        items = sorted(self.per_locale.items(), key=lambda kv: -kv[1].exact_match)
        fig, ax = plt.subplots(figsize=(max(4.0, 0.28 * len(items) + 1.5), 4.0))
        ax.bar(
            [k for k, _ in items],
            [100 * v.exact_match for _, v in items],
            yerr=[100 * v.exact_match_stderr for _, v in items],
            color="#3b7dd8",
            capsize=1.5,
        )
        ax.axhline(100 * self.mean.exact_match, color="#d8563b", lw=1, label=f"mean {100 * self.mean.exact_match:.1f}")
        ax.set_ylabel("exact match (%)")
        ax.set_ylim(0, 100)
        ax.set_title(self.meta.get("title", "MASSIVE exact match per locale"))
        ax.legend(loc="upper right")
        plt.xticks(rotation=90, fontsize=7)
        fig.tight_layout()
        atomic_write(Path(path), lambda p: fig.savefig(p, dpi=120, format="png"))
        plt.close(fig)

    def write(self, path: str | Path) -> list[Path]:
        """Write ``X.json``, ``X.md`` and ``X.png`` for a path ``X.json`` (or any stem)."""
        base = Path(path)
        stem = base.with_suffix("") if base.suffix in (".json", ".md", ".png") else base
        base.parent.mkdir(parents=True, exist_ok=True)
        js, md, png = stem.with_suffix(".json"), stem.with_suffix(".md"), stem.with_suffix(".png")
        atomic_write(
            js, lambda p: Path(p).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
        )
        atomic_write(md, lambda p: Path(p).write_text(self.markdown(), encoding="utf-8"))
        self.plot(png)
        return [js, md, png]


def _grouped(per_locale: dict[str, Scores], attr: str) -> dict[str, Scores]:
    groups: dict[str, list[Scores]] = {}
    for locale, s in per_locale.items():
        groups.setdefault(getattr(locale_info(locale), attr) or "unknown", []).append(s)
    return {k: mean_scores(v) for k, v in groups.items()}


def build_report(examples: Sequence[Example], parses: Sequence[Parse], meta: dict[str, Any] | None = None) -> Report:
    """Score parses against gold examples (same order), per locale, then mean and groups."""
    if len(examples) != len(parses):
        raise ValueError(f"{len(examples)} examples but {len(parses)} parses: expected one parse per example")
    by_locale: dict[str, tuple[list[str], list[str], list[Sequence[str]], list[Sequence[str]]]] = {}
    for ex, p in zip(examples, parses):
        gi, pi, gl, pl = by_locale.setdefault(ex.locale, ([], [], [], []))
        gi.append(ex.intent)
        pi.append(p.intent)
        gl.append(ex.word_labels)
        pl.append(p.word_labels)
    per_locale = {loc: score(*v) for loc, v in sorted(by_locale.items())}
    return Report(
        per_locale,
        mean_scores(list(per_locale.values())),
        _grouped(per_locale, "script"),
        _grouped(per_locale, "family"),
        dict(meta or {}),
    )


def predictions_jsonl(examples: Sequence[Example], parses: Sequence[Parse], path: str | Path) -> None:
    """MASSIVE-style predictions: id, locale, utt, pred_intent, pred_slots, pred_annot_utt."""
    from kiloglot.data.codec import SlotCodec
    from kiloglot.data.example import Span

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            for ex, p in zip(examples, parses):
                spans = tuple(Span(s.name, s.start, s.end) for s in p.slots)
                annot = SlotCodec.encode(Example(ex.id, ex.locale, ex.text, (), (), spans=spans))
                rec = {
                    "id": ex.id,
                    "locale": ex.locale,
                    "utt": ex.text,
                    "pred_intent": p.intent,
                    "pred_confidence": round(p.confidence, 6),
                    "pred_slots": [[s.value, s.name] for s in p.slots],
                    "pred_annot_utt": annot,
                    "pred_labels": list(p.word_labels),
                }
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    atomic_write(Path(path), write)
