"""The ``ensemble`` parser: trained parsers vote on the intent, one of them labels the slots.

Each member parses the batch; the intent is the argmax of the weighted mixture of the members'
top-k intent probabilities. The *slot member* then labels the words: a member whose slot tagger is
conditioned on the intent (the linear parser's CRF) is asked again with the chosen intent wherever
its own intent lost, so slots and intent agree; any other member's slots are taken as they are.

Why: a linear parser and a fine-tuned encoder make different intent errors. On the whole MASSIVE
dev partition (52 locales) the full-data linear parser plus the full-data me5-small model, equal
weights, reach 63.16 mean exact match and 86.20 intent accuracy, against 61.94 and 84.14 for the
linear parser alone (benchmarks/results/ensemble_linear_me5full.json). Taking the encoder's slots
where its intent won did worse (a manual check on four locales), so one member labels all slots.

The artifact holds the members as sub-folders (``members/0`` ...), hard-linked from their source
folders where the file system allows it, so an ensemble is as self-contained as any model.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

from kiloglot.data.example import Example
from kiloglot.errors import InputError, ModelError
from kiloglot.nlu.artifact import MANIFEST_FILE, Manifest
from kiloglot.nlu.contract import Parser, ParsesGivenIntents, Progress, TrainableParser
from kiloglot.nlu.members import save_with_members
from kiloglot.nlu.parse import Parse
from kiloglot.nlu.registry import load


class EnsembleParser(TrainableParser):
    kind = "ensemble"
    runtime = "python"

    def __init__(
        self,
        members: Sequence[Parser] = (),
        weights: Sequence[float] | None = None,
        slot_member: int = 0,
        top_k: int = 3,
        sources: Sequence[str | Path | None] | None = None,
    ) -> None:
        members = list(members)
        if len(members) < 2:
            raise InputError(f"an ensemble of {len(members)} parser(s): expected at least 2 trained members")
        weights = [1.0] * len(members) if weights is None else [float(w) for w in weights]
        if len(weights) != len(members):
            raise InputError(f"{len(weights)} weights for {len(members)} members: expected one weight per member")
        if any(not (w >= 0 and math.isfinite(w)) for w in weights) or sum(weights) <= 0:
            raise InputError(f"weights {weights}: expected finite non-negative numbers, not all zero")
        if not 0 <= slot_member < len(members):
            raise InputError(f"slot member {slot_member}: expected a member index from 0 to {len(members) - 1}")
        if top_k < 1:
            raise InputError(f"top_k {top_k}: expected at least 1")
        total = sum(weights)
        self.members = members
        self.weights = [w / total for w in weights]
        self.slot_member = slot_member
        self.top_k = top_k
        # Where each member was loaded from (copied by hard links on save instead of re-serialised).
        self.sources: list[Path | None] = [Path(s) if s else None for s in (sources or [None] * len(members))]

    @classmethod
    def from_paths(cls, paths: Sequence[str | Path], **options: Any) -> EnsembleParser:
        """Combine saved models: ``EnsembleParser.from_paths(["models/linear", "models/me5"])``."""
        return cls([load(p) for p in paths], sources=list(paths), **options)

    @property
    def locales(self) -> list[str]:
        common = set(self.members[0].locales)
        for m in self.members[1:]:
            common &= set(m.locales)
        return sorted(common)

    def supports(self, locale: str) -> bool:
        return all(m.supports(locale) for m in self.members)

    @property
    def intents(self) -> list[str]:
        return sorted({i for m in self.members for i in m.intents})

    @property
    def slot_labels(self) -> list[str]:
        return sorted({s for m in self.members for s in m.slot_labels})

    @property
    def data_fingerprint(self) -> str:  # type: ignore[override]
        prints = "\n".join(m.data_fingerprint for m in self.members)
        return "sha256:" + hashlib.sha256(prints.encode()).hexdigest()

    @classmethod
    def option_groups(cls) -> dict[str, type]:
        return {}  # an ensemble is made of trained members, not of options

    def get_params(self) -> dict[str, Any]:
        return {
            "members": list(self.members),
            "weights": list(self.weights),
            "slot_member": self.slot_member,
            "top_k": self.top_k,
        }

    # -- training ------------------------------------------------------------------------------
    def progress_total(self, n_locales: int) -> int:
        return sum(m.progress_total(n_locales) for m in self.members if isinstance(m, TrainableParser))

    def fit(
        self, train: Sequence[Example], dev: Sequence[Example] | None = None, progress: Progress | None = None
    ) -> Self:
        """Train every member on the same data (the weights are kept as given)."""
        untrainable = [m.kind + "/" + m.runtime for m in self.members if not isinstance(m, TrainableParser)]
        if untrainable:
            raise InputError(f"ensemble members {', '.join(untrainable)} cannot be trained: give trainable members")
        for m in self.members:
            assert isinstance(m, TrainableParser)
            m.fit(train, dev, progress)
        self.sources = [None] * len(self.members)
        return self

    # -- inference -----------------------------------------------------------------------------
    def parse(self, texts: Sequence[str], locale: str) -> list[Parse]:
        self.check_request(texts, locale)
        texts = list(texts)
        return self.combine(texts, locale, [m.parse(texts, locale) for m in self.members])

    def combine(self, texts: Sequence[str], locale: str, member_parses: Sequence[Sequence[Parse]]) -> list[Parse]:
        """The ensemble's parses from its members' parses of ``texts`` (one list per member, in order).
        Separate from ``parse`` so that several weightings can be scored on one set of member parses."""
        mixed = [vote([mp[n] for mp in member_parses], self.weights, self.top_k) for n in range(len(texts))]
        slot_parses = list(member_parses[self.slot_member])
        tagger = self.members[self.slot_member]
        redo = [n for n, m in enumerate(mixed) if m[0][0] != slot_parses[n].intent]
        if redo and isinstance(tagger, ParsesGivenIntents):
            again = tagger.parse_given_intents([texts[n] for n in redo], locale, [mixed[n][0][0] for n in redo])
            for n, p in zip(redo, again):
                slot_parses[n] = p
        return [
            Parse(texts[n], locale, m[0][0], m[0][1], slot_parses[n].slots, tuple(m), slot_parses[n].word_labels)
            for n, m in enumerate(mixed)
        ]

    def parse_given_intents(self, texts: Sequence[str], locale: str, intents: Sequence[str]) -> list[Parse]:
        """Slots given each text's intent, from the slot member (so an ensemble can be a member too);
        a slot member that cannot condition on the intent labels them as it would anyway."""
        if len(intents) != len(texts):
            raise InputError(f"{len(intents)} intents for {len(texts)} texts: expected one intent per text")
        tagger = self.members[self.slot_member]
        if isinstance(tagger, ParsesGivenIntents):
            return tagger.parse_given_intents(texts, locale, intents)
        return tagger.parse(texts, locale)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path, *, metrics: dict[str, Any] | None = None) -> Path:
        members = [(str(i), m, source) for i, (m, source) in enumerate(zip(self.members, self.sources))]
        options = {"weights": self.weights, "slot_member": self.slot_member, "top_k": self.top_k}
        return save_with_members(path, self, members, options, metrics)

    @classmethod
    def from_artifact(cls, path: Path, manifest: Manifest) -> EnsembleParser:
        rel = manifest.get("members")
        if not isinstance(rel, list) or not all(isinstance(r, str) for r in rel):
            raise ModelError(f"{path}/{MANIFEST_FILE} has no list of members: expected an ensemble manifest")
        dirs = [Path(path) / r for r in rel]
        for d in dirs:
            if Path(path).resolve() not in d.resolve().parents:
                raise ModelError(f"{path}: member folder {d} lies outside the ensemble folder")
        options = manifest.get("options", {})
        return cls(
            [load(d) for d in dirs],
            weights=options.get("weights"),
            slot_member=int(options.get("slot_member", 0)),
            top_k=int(options.get("top_k", 3)),
            sources=dirs,
        )


def vote(parses: Sequence[Parse], weights: Sequence[float], top_k: int) -> list[tuple[str, float]]:
    """The top-k intents of the weighted mixture of the parses' intent probabilities, best first
    (ties by name). A member's intents outside its own top-k count as probability 0."""
    votes: dict[str, float] = {}
    for w, p in zip(weights, parses):
        for intent, prob in p.alternatives or ((p.intent, p.confidence),):
            votes[intent] = votes.get(intent, 0.0) + w * prob
    return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
