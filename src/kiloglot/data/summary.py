"""What a corpus holds: records per locale and partition, intents, slots, scenarios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kiloglot.data.example import Example
from kiloglot.data.massive import RecordSummary

_PARTITION_ORDER = ("train", "dev", "test")


@dataclass
class CorpusSummary:
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # locale -> partition -> records
    intents: Counter[str] = field(default_factory=Counter)
    slots: Counter[str] = field(default_factory=Counter)
    records: int = 0

    @property
    def partitions(self) -> list[str]:
        found = {p for c in self.counts.values() for p in c}
        return sorted(found, key=lambda p: (_PARTITION_ORDER.index(p) if p in _PARTITION_ORDER else 9, p))

    @property
    def scenarios(self) -> list[str]:
        return sorted({i.split("_", 1)[0] for i in self.intents})

    def to_dict(self) -> dict[str, Any]:
        return {
            "locales": {k: dict(v) for k, v in sorted(self.counts.items())},
            "records": self.records,
            "scenarios": self.scenarios,
            "intents": dict(sorted(self.intents.items())),
            "slots": dict(sorted(self.slots.items())),
        }


def summarize(records: Iterable[Example | RecordSummary]) -> CorpusSummary:
    """Counts of examples, or of the lighter summaries ``MassiveReader.summaries`` streams."""
    summary = CorpusSummary()
    for rec in records:
        summary.records += 1
        summary.counts.setdefault(rec.locale, Counter())[rec.partition] += 1
        summary.intents[rec.intent] += 1
        names = rec.slots if isinstance(rec, RecordSummary) else (s.name for s in rec.spans)
        for name in names:
            summary.slots[name] += 1
    return summary
