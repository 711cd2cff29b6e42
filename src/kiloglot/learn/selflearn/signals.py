"""Which logged turns were defects, and the evidence for each, read from the interaction log alone.

Per user (a turn's ``user_id``, else its session), in time order, a turn is a **defect** when:
- the user rated it bad (an explicit rating decides either way: rated good is a success);
- the assistant visibly failed: a fallback or "please rephrase" (``action``);
- the next turn corrects or cancels it ("no, ...", "cancel that": the dialogue step that answered it);
- the next turn, soon after, restates it (``RephraseDetector``): the same goal asked again.
Otherwise it is a **success**. A restatement links the two turns (``rephrase_of``): the reformulation
paths that mining aggregates.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kiloglot.learn.selflearn.rephrase import FAILED_ACTIONS, RephraseDetector

CORRECTION_STEPS = frozenset({"correct_last_action", "cancel_request"})


class LoggedTurn(Protocol):
    """What self-learning reads of a turn (``kiloglot.assistant.store.TurnRow`` has it)."""

    id: int
    session_id: str
    user_id: str | None
    at: datetime
    locale: str
    text: str
    intent: str
    confidence: float
    parse: dict[str, Any]
    action: str
    step: str | None
    rewritten: str | None
    rewrite_id: int | None


class Rating(Protocol):
    rating: str


@dataclass
class TurnOutcome:
    turn: LoggedTurn
    user: str
    defect: bool
    evidence: list[str] = field(default_factory=list)  # rated_bad | rated_good | failed | corrected | asked_again
    rephrase_of: int | None = None  # the turn this one restates
    rephrased_by: int | None = None  # the turn that restates this one
    meant_intent: str | None = None  # the intent the user said they meant (explicit feedback)


def user_of(turn: LoggedTurn) -> str:
    return turn.user_id or turn.session_id


def _seconds(a: datetime, b: datetime) -> float:
    if (a.tzinfo is None) != (b.tzinfo is None):  # SQLite hands back naive times, in UTC
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return (b - a).total_seconds()


def label_turns(
    turns: Iterable[LoggedTurn],
    detector: RephraseDetector,
    ratings: Mapping[int, Rating] | None = None,
    *,
    window_seconds: float = 120.0,
) -> list[TurnOutcome]:
    """Every turn with its outcome and evidence; ``ratings`` are explicit feedback by turn id. Two turns
    of a user further apart than ``window_seconds`` are never one reformulation."""
    ratings = ratings or {}
    by_user: dict[str, list[LoggedTurn]] = {}
    for t in turns:
        by_user.setdefault(user_of(t), []).append(t)
    outcomes: list[TurnOutcome] = []
    for user, timeline in by_user.items():
        timeline.sort(key=lambda t: (t.at.replace(tzinfo=None), t.id))
        labelled = [TurnOutcome(t, user, False) for t in timeline]
        # score all candidate pairs of the user at once: one matrix product, not one per pair
        pairs = [
            (i, _seconds(a.at, b.at))
            for i, (a, b) in enumerate(itertools.pairwise(timeline))
            if a.locale == b.locale and _seconds(a.at, b.at) <= window_seconds
        ]
        probs = detector.probabilities([(timeline[i], timeline[i + 1], gap) for i, gap in pairs])
        restated = {i for (i, _), p in zip(pairs, probs) if p >= detector.threshold}
        nearby = {i for i, _ in pairs}
        for i, outcome in enumerate(labelled):
            t = outcome.turn
            rating = ratings.get(t.id)
            if t.action in FAILED_ACTIONS:
                outcome.evidence.append("failed")
            if i in nearby and (timeline[i + 1].step or "") in CORRECTION_STEPS:
                outcome.evidence.append("corrected")
            if i in restated:
                outcome.evidence.append("asked_again")
                outcome.rephrased_by = timeline[i + 1].id
                labelled[i + 1].rephrase_of = t.id
            if rating is not None:
                outcome.evidence.append(f"rated_{rating.rating}")
                outcome.defect = rating.rating == "bad"
                meant = getattr(rating, "intent", None)  # feedback may say what was meant
                outcome.meant_intent = meant if outcome.defect and meant and meant != t.intent else None
            else:
                outcome.defect = bool(outcome.evidence)
        outcomes.extend(labelled)
    return outcomes


def reformulation_paths(outcomes: Sequence[TurnOutcome]) -> list[list[TurnOutcome]]:
    """The chains of restatements: each starts with a turn that restates nothing and follows
    ``rephrased_by`` to the end (a turn alone is a path of one)."""
    by_id = {o.turn.id: o for o in outcomes}
    paths = []
    for o in outcomes:
        if o.rephrase_of is not None and o.rephrase_of in by_id:
            continue
        path = [o]
        while path[-1].rephrased_by is not None and path[-1].rephrased_by in by_id and len(path) < 50:
            path.append(by_id[path[-1].rephrased_by])
        paths.append(path)
    return paths
