"""Rewrites mined from reformulation paths as an absorbing Markov chain (Ponnusamy et al., 2020).

Per locale, the states are normalised utterances plus two absorbing states, SUCCESS and DEFECT. Every
reformulation path ``u1 -> u2 -> ... -> uk`` (``signals.reformulation_paths``) adds one transition per
restatement and ends in SUCCESS when its last turn succeeded, in DEFECT when the user gave up. With
``Q`` the transitions between utterances and ``R`` those into the absorbing states (row-normalised
counts), the fundamental matrix ``N = (I - Q)^-1`` counts the expected visits to each utterance from a
start ``u``, and ``N R`` is the probability of ending in SUCCESS from ``u``. The rewrite of ``u`` is
the utterance ``u*`` through which most of that success mass flows, ``argmax_v N[u, v] R[v, SUCCESS]``
(``v != u``), kept when:

- ``u`` itself rarely works (direct success rate <= ``max_source_success``),
- ``u*`` itself works (direct success rate >= ``min_target_success``, over >= ``min_target_turns``),
- at least ``min_support`` distinct users went from ``u`` to ``u*``.

Explicit feedback that names the intended intent (``POST /v1/feedback`` with ``intent``) gives a second
kind, the meaning rewrite (``meaning_rewrites``): ``u`` keeps its words and the parse takes the intent that
``min_support`` users agreed they meant. It reaches the goals no reformulation ever got through, where
there is no successful rephrase to learn from.

Turns parsed through a rewrite say nothing about how ``u`` parses, so they do not count in its rates;
they score the rewrite instead, and a rewrite whose rewritten turns fail (success rate under
``withdraw_below`` over >= ``min_target_turns``) is mined as ``withdrawn``. The chain's rows are
computed for all candidate sources at once as a truncated series ``sum_k E Q^k`` (reformulation paths
are short), with sparse matrices.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from kiloglot.assistant.rewriter import normalize_utterance
from kiloglot.learn.selflearn.signals import TurnOutcome, reformulation_paths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MiningSettings:
    min_support: int = 2  # distinct users behind u -> u*
    max_source_success: float = 0.5
    min_target_success: float = 0.8
    min_target_turns: int = 2
    withdraw_below: float = 0.5
    max_path: int = 8  # terms of the series for N
    phrasings: bool = True  # also generalise utterance rewrites into phrasing rewrites (see phrasing_rewrites)
    min_phrasing_instances: int = 2  # utterance rewrites, with different slot values, behind a phrasing rewrite
    meanings: bool = True  # also rewrite to the intents users said they meant in feedback (meaning_rewrites)


@dataclass
class MinedRewrite:
    locale: str
    source: str  # normalised
    target: str  # as users said it (the most frequent raw form of the target state)
    support: int
    source_success: float
    target_success: float
    score: float  # N[u, u*] R[u*, SUCCESS]
    status: str = "active"  # active | withdrawn
    note: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    source_text: str = ""  # the most frequent raw form of the source (what retraining labels)
    target_parse: dict[str, Any] = field(default_factory=dict)  # a successful parse of the target
    intent: str | None = None  # a meaning rewrite: the intent the parse takes (users' feedback)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Stats:
    success: int = 0  # direct: said, not rewritten, and it worked
    defect: int = 0  # direct: said, not rewritten, and it failed
    raw: Counter[str] = field(default_factory=Counter)
    parse: dict[str, Any] = field(default_factory=dict)

    @property
    def said(self) -> int:
        return self.success + self.defect

    @property
    def rate(self) -> float:
        return self.success / self.said if self.said else 0.0


def mine_rewrites(outcomes: Sequence[TurnOutcome], settings: MiningSettings | None = None) -> list[MinedRewrite]:
    """The rewrites the log supports, every locale; see the module's notes."""
    settings = settings or MiningSettings()
    by_locale: dict[str, list[list[TurnOutcome]]] = defaultdict(list)
    for path in reformulation_paths(outcomes):
        by_locale[path[0].turn.locale].append(path)
    mined: list[MinedRewrite] = []
    for locale, paths in sorted(by_locale.items()):
        mined.extend(_mine_locale(locale, paths, settings))
    if settings.phrasings:
        mined.extend(phrasing_rewrites(mined, settings.min_phrasing_instances))
    if settings.meanings:
        taken = {(m.locale, m.source) for m in mined}
        mined.extend(m for m in meaning_rewrites(outcomes, settings) if (m.locale, m.source) not in taken)
    return mined


def meaning_rewrites(outcomes: Sequence[TurnOutcome], settings: MiningSettings) -> list[MinedRewrite]:
    """Rewrites from the intents users said they meant: per locale and normalised utterance, when at least
    ``min_support`` distinct users rated it bad and named the same intent, two thirds of those who named one,
    while the parser reads another (were it already right, the slots failed, which an intent cannot mend)
    and the utterance rarely works (``max_source_success``). Its training example (``target_parse``) is the
    utterance with that intent and the slots the parser found."""
    meant: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # -> user -> intent (their latest)
    raw: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    direct: dict[tuple[str, str], list[TurnOutcome]] = defaultdict(list)  # parsed as said
    for o in outcomes:
        key = (o.turn.locale, normalize_utterance(o.turn.text))
        raw[key][o.turn.text.strip()] += 1
        if o.meant_intent:
            meant[key][o.user] = o.meant_intent
        if o.turn.rewrite_id is None:
            direct[key].append(o)
    out = []
    for (locale, source), by_user in sorted(meant.items()):
        (intent, votes), said = Counter(by_user.values()).most_common(1)[0], direct[(locale, source)]
        if votes < settings.min_support or 3 * votes < 2 * len(by_user) or not said:
            continue
        parsed = Counter(o.turn.intent for o in said).most_common(1)[0][0]
        success = sum(not o.defect for o in said) / len(said)
        if parsed == intent or success > settings.max_source_success:
            continue
        slots: list[Any] = next((o.turn.parse.get("slots", []) for o in said if o.turn.intent == parsed), [])
        as_said = raw[(locale, source)].most_common(1)[0][0]
        out.append(
            MinedRewrite(
                locale=locale,
                source=source,
                target=as_said,
                support=votes,
                source_success=round(success, 4),
                target_success=0.0,  # unknown until rewritten turns are judged
                score=round(votes / len(by_user), 4),
                evidence={"kind": "meaning", "votes": dict(Counter(by_user.values())), "parsed_as": parsed},
                source_text=as_said,
                target_parse={"intent": intent, "slots": list(slots)},
                intent=intent,
            )
        )
    return out


def _delexicalise(text: str, values: list[tuple[str, str]]) -> str | None:
    """``text`` (normalised) with each slot value replaced by ``{slot}``; None when a value is not there
    exactly once as whole words, or a slot comes twice."""
    if len({name for name, _ in values}) != len(values):
        return None
    padded = f" {text} "
    for name, value in sorted(values, key=lambda nv: -len(nv[1])):
        if not value or padded.count(f" {value} ") != 1:
            return None
        padded = padded.replace(f" {value} ", f" {{{name}}} ")
    return padded.strip()


def phrasing_rewrites(mined: Sequence[MinedRewrite], min_instances: int = 2) -> list[MinedRewrite]:
    """Utterance rewrites generalised over their slot values: when ``min_instances`` rewrites with different
    values agree that a phrasing (``wake me at {time}``) becomes another (``set an alarm for {time}``), more
    of them than say otherwise, the phrasing rewrite applies to values nobody has said yet. The values are those
    of the target's successful parse, found as whole words in both texts. A phrasing keeps at least two
    words of its own and never two slots side by side (where one value would end is a guess)."""
    groups: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    backers: dict[tuple[str, str, str], list[MinedRewrite]] = defaultdict(list)
    for m in mined:
        if m.status != "active" or "{" in m.source:
            continue
        values = [
            (str(v["name"]), normalize_utterance(str(v.get("value", "")))) for v in m.target_parse.get("slots", [])
        ]
        if not values:
            continue
        source, target = _delexicalise(m.source, values), _delexicalise(normalize_utterance(m.target), values)
        if source is None or target is None or source == target:
            continue
        words = source.split()
        literal = [w for w in words if not w.startswith("{")]
        adjacent = any(a.startswith("{") and b.startswith("{") for a, b in itertools.pairwise(words))
        if len(literal) < 2 or adjacent:
            continue
        groups[(m.locale, source)][target] += 1
        backers[(m.locale, source, target)].append(m)
    out = []
    for (locale, source), targets in sorted(groups.items()):
        (target, count), others = targets.most_common(1)[0], sum(targets.values()) - targets.most_common(1)[0][1]
        if count < min_instances or count <= others:  # most of the utterance rewrites agree
            continue
        behind = backers[(locale, source, target)]
        out.append(
            MinedRewrite(
                locale=locale,
                source=source,
                target=target,
                support=sum(b.support for b in behind),
                source_success=round(sum(b.source_success for b in behind) / len(behind), 4),
                target_success=round(sum(b.target_success for b in behind) / len(behind), 4),
                score=round(sum(b.score for b in behind) / len(behind), 4),
                evidence={"kind": "phrasing", "instances": [b.source for b in behind]},
            )
        )
    return out


def _mine_locale(locale: str, paths: list[list[TurnOutcome]], settings: MiningSettings) -> list[MinedRewrite]:
    stats: dict[str, _Stats] = defaultdict(_Stats)
    moves: Counter[tuple[str, str]] = Counter()
    absorbed: dict[str, Counter[bool]] = defaultdict(Counter)  # state -> {True: success, False: defect}
    users: dict[tuple[str, str], set[str]] = defaultdict(set)  # (u, later v on a path) -> users
    for path in paths:
        states = [normalize_utterance(o.turn.text) for o in path]
        for o, state in zip(path, states):
            st = stats[state]
            st.raw[o.turn.text.strip()] += 1
            if o.turn.rewrite_id is not None:  # parsed as the rewrite's target: says nothing of this text
                continue
            if o.defect:
                st.defect += 1
            else:
                st.success += 1
                st.parse = st.parse or dict(o.turn.parse)
        for a, b in itertools.pairwise(states):
            if a != b:
                moves[(a, b)] += 1
        absorbed[states[-1]][not path[-1].defect] += 1
        for i, u in enumerate(states):
            for v in states[i + 1 :]:
                if v != u:
                    users[(u, v)].add(path[0].user)
    names = sorted(stats)
    index = {s: i for i, s in enumerate(names)}
    n = len(names)
    out_of = np.zeros(n)
    for (a, _), c in moves.items():
        out_of[index[a]] += c
    for state, ends in absorbed.items():
        out_of[index[state]] += ends[True] + ends[False]
    out_of[out_of == 0] = 1.0
    rows = [index[a] for a, _ in moves]
    cols = [index[b] for _, b in moves]
    q = sparse.csr_matrix((np.array(list(moves.values()), dtype=float), (rows, cols)), shape=(n, n))
    q = sparse.diags(1.0 / out_of) @ q
    r_success = np.array([absorbed[s][True] if s in absorbed else 0 for s in names], dtype=float) / out_of
    sources = [s for s in names if stats[s].said and stats[s].rate <= settings.max_source_success]
    if not sources:
        return []
    picks = (np.ones(len(sources)), (np.arange(len(sources)), [index[s] for s in sources]))
    e = sparse.csr_matrix(picks, shape=(len(sources), n))
    visits, term = e.copy(), e
    for _ in range(settings.max_path):  # N's rows for the sources: sum_k E Q^k
        term = term @ q
        if term.nnz == 0:
            break
        visits = visits + term
    mass = visits.multiply(r_success[np.newaxis, :]).tocsr()  # success mass through each state
    mined = []
    for row, source in enumerate(sources):
        start, end = mass.indptr[row], mass.indptr[row + 1]
        candidates = [(float(v), names[c]) for c, v in zip(mass.indices[start:end], mass.data[start:end])]
        candidates = [(v, t) for v, t in candidates if t != source and v > 0]
        if not candidates:
            continue
        score, target = max(candidates)
        st, tt = stats[source], stats[target]
        support = len(users[(source, target)])
        if support < settings.min_support or tt.said < settings.min_target_turns:
            continue
        if tt.rate < settings.min_target_success:
            continue
        m = MinedRewrite(
            locale=locale,
            source=source,
            target=tt.raw.most_common(1)[0][0],
            support=support,
            source_success=round(st.rate, 4),
            target_success=round(tt.rate, 4),
            score=round(score, 4),
            evidence={"source_said": st.said, "target_said": tt.said, "source_defects": st.defect},
            source_text=st.raw.most_common(1)[0][0],
            target_parse=tt.parse,
        )
        mined.append(m)
    log.info("%s: %d states, %d reformulations, %d rewrites", locale, n, sum(moves.values()), len(mined))
    return mined


def judge_rewrites(
    mined: list[MinedRewrite],
    outcomes: Sequence[TurnOutcome],
    ids: dict[tuple[str, str], int],
    settings: MiningSettings,
) -> None:
    """Mark as ``withdrawn`` each mined rewrite whose rewritten turns (``ids``: (locale, source) -> the id
    it has in the store) mostly failed; the numbers go in its evidence."""
    worked: dict[int, Counter[bool]] = defaultdict(Counter)
    for o in outcomes:
        if o.turn.rewrite_id is not None:
            worked[o.turn.rewrite_id][not o.defect] += 1
    for m in mined:
        rid = ids.get((m.locale, m.source))
        counts = worked.get(rid, Counter()) if rid is not None else Counter()
        total = counts[True] + counts[False]
        m.evidence["applied"] = {"worked": counts[True], "failed": counts[False]}
        if total >= settings.min_target_turns and counts[True] / total < settings.withdraw_below:
            m.status = "withdrawn"
            m.note = f"withdrawn: {counts[False]} of {total} rewritten turns failed"
