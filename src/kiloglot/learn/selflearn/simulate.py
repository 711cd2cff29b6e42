"""Simulated users talking to the real assistant for days, with self-learning between days.

Each simulated user has a locale. Every request draws a goal (an intent and its slot values, taken from
a MASSIVE partition) with a Zipf-like frequency, as real traffic has, and says it with one of the
partition's phrasings of that intent (an utterance with the same slot types, its values filled in),
phrasings also drawn Zipf-like. When the assistant gets it wrong (its parse against the goal, or a
fallback), the user rephrases with another phrasing, up to ``max_rephrases`` times, or gives up; some
users rate every turn, and some of their bad ratings say which intent they meant (``corrections``). Each
request is a new session; turns go through ``Assistant.converse`` with its store, so the log, the
signals and the rewriter are the product's own. Between days, with learning on, the whole log so far is
labelled (``signals``), mined (``mining``) and the rewrites saved to the store, where the rewriter picks
them up; with ``retrain_every`` days (a linear model and its training data given), the parser is also
refit on its training data plus the mined pairs (``retrain``), so that what was learnt reaches phrasings
and values the rewrites never saw.

Randomness is drawn per request from ``(seed, user, day, request)``, so the goals and first phrasings
are the same with and without learning: the no-learning outcome of every first turn is known in the
same run (the original parser, deterministic, reads the text as said), which gives the defect reduction
and the wins and losses of self-learning without a second run.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from kiloglot.assistant import Assistant, Store
from kiloglot.assistant.dialogue import given_intent
from kiloglot.assistant.rewriter import Rewriter, normalize_utterance
from kiloglot.data.example import Example
from kiloglot.errors import InputError
from kiloglot.learn.selflearn.mining import MinedRewrite, MiningSettings, judge_rewrites, mine_rewrites
from kiloglot.learn.selflearn.rephrase import FAILED_ACTIONS, RephraseDetector
from kiloglot.learn.selflearn.retrain import (
    RefitSettings,
    calibrate_path_cut,
    examples_from_rewrites,
    new_path_examples,
    refit_from_log,
)
from kiloglot.learn.selflearn.scope import ScopedParser
from kiloglot.learn.selflearn.signals import TurnOutcome, label_turns
from kiloglot.nlu.contract import Parser
from kiloglot.nlu.linear.parser import LinearParser
from kiloglot.nlu.parse import Parse

log = logging.getLogger(__name__)
START = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class SimulationSettings:
    locales: tuple[str, ...]
    users: int = 400
    days: int = 7
    requests_per_day: int = 5
    seed: int = 0
    max_rephrases: int = 3
    give_up: float = 0.15  # chance, after each failure, that the user stops instead of rephrasing
    feedback_users: float = 0.2  # share of users who rate every turn
    corrections: float = 0.0  # share of their bad ratings that also say which intent was meant
    goal_zipf: float = 1.0
    phrasing_zipf: float = 1.0
    learning: bool = True
    near: bool = False  # the rewriter's near matching
    retrain_every: int = 0  # days between refits of the parser on the mined pairs (0: rewrites only)
    refit: RefitSettings = field(default_factory=RefitSettings)
    window_seconds: float = 120.0
    mining: MiningSettings = field(default_factory=MiningSettings)


@dataclass(frozen=True)
class Goal:
    locale: str
    intent: str
    slots: tuple[tuple[str, str], ...]  # (slot, value), in the order of the source utterance

    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return self.locale, self.intent, tuple(sorted((n, squash(v)) for n, v in self.slots))


def squash(value: str) -> str:
    return normalize_utterance(value).replace(" ", "")


def goal_met(parse: dict[str, Any] | Parse, action: str, goal: Goal) -> bool:
    """The assistant did what the user wanted: not a fallback, the intent and every slot value right."""
    d = parse.to_dict() if isinstance(parse, Parse) else parse
    if action in FAILED_ACTIONS or d.get("intent") != goal.intent:
        return False
    said = Counter((s["name"], squash(s["value"])) for s in d.get("slots", []))
    return said == Counter((n, squash(v)) for n, v in goal.slots)


class Phrasebook:
    """A partition's goals and phrasings of one locale."""

    def __init__(self, examples: Sequence[Example], seed: int, goal_zipf: float) -> None:
        self.templates: dict[tuple[str, tuple[str, ...]], list[Example]] = defaultdict(list)
        goals: dict[tuple[Any, ...], Goal] = {}
        for ex in examples:
            spans = sorted(ex.spans, key=lambda s: s.start)
            goal = Goal(ex.locale, ex.intent, tuple((s.name, ex.text[s.start : s.end]) for s in spans))
            goals.setdefault(goal.key(), goal)
            self.templates[(ex.intent, tuple(sorted(s.name for s in spans)))].append(ex)
        if not goals:
            raise InputError("simulation: no examples for a locale: expected a partition with utterances")
        self.goals = list(goals.values())
        random.Random(seed).shuffle(self.goals)  # which goals are popular: seeded, not the data's order
        ranks = np.arange(1, len(self.goals) + 1, dtype=float)
        weights = ranks**-goal_zipf
        self.cumulative = np.cumsum(weights / weights.sum())

    def draw(self, rng: random.Random) -> Goal:
        i = int(np.searchsorted(self.cumulative, rng.random(), side="right"))
        return self.goals[min(i, len(self.goals) - 1)]

    def phrasings(self, goal: Goal, seed: int) -> list[Example]:
        """The goal's phrasings, most popular first (a seeded order per goal)."""
        names = tuple(sorted(n for n, _ in goal.slots))
        options = sorted(self.templates[(goal.intent, names)], key=lambda e: e.id)
        digest = hashlib.sha256(repr((seed, goal.key())).encode()).digest()
        random.Random(digest).shuffle(options)
        return options


def say(template: Example, goal: Goal) -> str:
    """``template``'s text with the goal's slot values in place of its own (same slot types)."""
    values: dict[str, list[str]] = defaultdict(list)
    for name, value in goal.slots:
        values[name].append(value)
    out, pos = [], 0
    for span in sorted(template.spans, key=lambda s: s.start):
        out.append(template.text[pos : span.start])
        out.append(values[span.name].pop(0))
        pos = span.end
    out.append(template.text[pos:])
    return "".join(out)


def zipf_pick(options: Sequence[Any], rng: random.Random, s: float) -> Any:
    weights = [(i + 1) ** -s for i in range(len(options))]
    return rng.choices(list(options), weights=weights, k=1)[0]


@dataclass
class Request:
    """One simulated request: what happened, and what would have happened without the rewriter."""

    locale: str
    day: int
    user: int
    goal: tuple[Any, ...]
    recurring: bool  # the goal was asked (by anyone in the locale) on an earlier day
    first_ok: bool
    first_ok_without: bool  # the first turn's outcome had no rewrite been applied
    turns: int
    solved: bool
    first_text: str = ""
    rewritten_turns: int = 0
    wins: int = 0  # turns that worked where the original parser, on the text as said, would have failed
    losses: int = 0  # ... failed where it would have worked
    # wins and losses by what changed the outcome: "rewrite", or the refit parser on a text it was "taught",
    # one the log held ("logged") or a "new" one
    changes: Counter[str] = field(default_factory=Counter)
    # a scoped refit's changes by the rule that let it answer (see ``ScopedParser.rule``)
    scope_rules: Counter[str] = field(default_factory=Counter)


@dataclass
class Pair:
    """Two consecutive turns of one user, and whether the second restates the first (the truth)."""

    first: Any
    second: Any
    gap: float
    rephrase: bool
    locale: str


@dataclass
class SimulationResult:
    settings: SimulationSettings
    requests: list[Request]
    day_rewrites: list[int]  # active rewrites at the start of each day
    rewrite_precision: dict[str, tuple[int, int]]  # locale -> (right, mined)
    mining_seconds: list[float]
    turns_logged: int
    pairs: list[Pair] = field(default_factory=list)
    rewriter_lookup_us: list[float] = field(default_factory=list)
    retrains: list[dict[str, Any]] = field(default_factory=list)  # one per refit: day, examples, seconds
    label_check: dict[str, Any] | None = None  # ``Simulation.check_labels`` on the whole log (with paths)

    def report(self) -> dict[str, Any]:
        return simulation_report(self)


class Simulation:
    def __init__(
        self,
        parser: Parser,
        examples: Sequence[Example],
        store: Store,
        settings: SimulationSettings,
        detector: RephraseDetector,
        assistant_factory: Callable[[Parser, Store, Rewriter | None, Callable[[], datetime]], Assistant] | None = None,
        training: Sequence[Example] = (),
    ) -> None:
        """``training``: the parser's own training data (of the simulated locales), needed to refit it
        (``settings.retrain_every``)."""
        missing = [loc for loc in settings.locales if not parser.supports(loc)]
        if missing:
            raise InputError(f"simulation locales {', '.join(missing)}: this model reads {', '.join(parser.locales)}")
        if settings.users < 1 or settings.days < 1 or settings.requests_per_day < 1:
            raise InputError("simulation: expected at least one user, one day and one request a day")
        if settings.retrain_every < 0:
            raise InputError(f"retrain every {settings.retrain_every} days: expected 0 (never) or more")
        retraining = settings.learning and settings.retrain_every > 0
        if retraining and not isinstance(parser, LinearParser):
            raise InputError(f"retraining inside the simulation needs a linear model, not a {parser.kind} model")
        self.training = [e for e in training if e.locale in settings.locales]
        if retraining and not self.training:
            raise InputError("retraining inside the simulation needs the model's training data of the locales")
        by_locale: dict[str, list[Example]] = defaultdict(list)
        for ex in examples:
            if ex.locale in settings.locales:
                by_locale[ex.locale].append(ex)
        self.books = {loc: Phrasebook(by_locale[loc], settings.seed, settings.goal_zipf) for loc in settings.locales}
        self.parser, self.store, self.settings, self.detector = parser, store, settings, detector
        self.baseline = parser  # the parser as it was before any learning: the counterfactual
        self.retrains: list[dict[str, Any]] = []
        self.now = START
        self.rewriter = Rewriter(store, near=settings.near, refresh_seconds=float("inf"))
        factory = assistant_factory or (lambda p, s, r, clock: Assistant(p, s, rewriter=r, clock=clock))
        self.assistant = factory(parser, store, self.rewriter, lambda: self.now)
        self.gold: dict[tuple[str, str], Counter[Any]] = defaultdict(Counter)  # (locale, normalised) -> goals
        self.episode_of: dict[int, tuple[int, int, int]] = {}  # turn id -> (user, day, request)
        self.goal_of: dict[tuple[Any, ...], Goal] = {}
        self.taught: dict[str, set[str]] = {}  # locale -> normalised texts the serving refit learnt from
        self.logged: set[tuple[str, str]] = set()  # (locale, normalised text) in the log at the last refit

    def run(self) -> SimulationResult:
        s = self.settings
        requests: list[Request] = []
        seen: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
        day_rewrites, mining_seconds = [], []
        for day in range(s.days):
            day_rewrites.append(len(self.rewriter))
            today: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
            for user in range(s.users):
                locale = s.locales[user % len(s.locales)]
                rater = random.Random(f"{s.seed}:{user}:rater").random() < s.feedback_users
                self.now = START + timedelta(days=day, hours=7 + (user % 12), seconds=user % 97)
                for r in range(s.requests_per_day):
                    rng = random.Random(f"{s.seed}:{user}:{day}:{r}")
                    goal = self.books[locale].draw(rng)
                    key = goal.key()
                    self.goal_of[key] = goal
                    req = self.request(locale, day, user, r, goal, key in seen[locale], rater, rng)
                    requests.append(req)
                    today[locale].add(key)
                    self.now += timedelta(seconds=_request_gap(rng))
            for locale, keys in today.items():
                seen[locale] |= keys
            if s.learning and day < s.days - 1:
                started = time.perf_counter()
                mined, outcomes = self.learn()
                mining_seconds.append(time.perf_counter() - started)
                if s.retrain_every and (day + 1) % s.retrain_every == 0:
                    self.retrain(mined, outcomes, day + 1)
            log.info("day %d: %d requests so far, %d rewrites", day + 1, len(requests), len(self.rewriter))
        return SimulationResult(
            s,
            requests,
            day_rewrites,
            self.rewrite_precision(),
            mining_seconds,
            self.store.count_turns(),
            self.pairs(),
            self.lookup_latency(),
            self.retrains,
            self.final_label_check() if s.learning and s.refit.paths else None,
        )

    def final_label_check(self) -> dict[str, Any]:
        """``check_labels`` on the whole log, mined as between days but nothing stored: how right the labels a
        refit would learn from it are, beside the raters' estimate; also for runs that refit nothing."""
        return self.check_labels(*self._mine_log())

    def _mine_log(self) -> tuple[list[MinedRewrite], list[TurnOutcome]]:
        """The whole log so far labelled, and the rewrites it mines (judged against their rewritten turns)."""
        outcomes = label_turns(
            self.store.turn_log(), self.detector, self.store.feedback(), window_seconds=self.settings.window_seconds
        )
        mined = mine_rewrites(outcomes, self.settings.mining)
        ids = {(r.locale, r.source): r.id for r in self.store.rewrites()}
        judge_rewrites(mined, outcomes, ids, self.settings.mining)
        return mined, outcomes

    def request(
        self, locale: str, day: int, user: int, r: int, goal: Goal, recurring: bool, rater: bool, rng: random.Random
    ) -> Request:
        s = self.settings
        options = self.books[locale].phrasings(goal, s.seed)
        first = zipf_pick(options, rng, s.phrasing_zipf)
        remaining = [o for o in options if o is not first]
        template, turns, solved = first, 0, False
        req = Request(locale, day, user, goal.key(), recurring, False, False, 0, False)
        while True:
            text = say(template, goal)
            self.gold[(locale, normalize_utterance(text))][goal.key()] += 1
            result = self.assistant.converse(f"sim-{user}-{day}-{r}", text, locale, user_id=f"user{user}")
            ok = goal_met(result.parse, result.action, goal)
            ok_without = ok
            if result.rewritten is not None or self.parser is not self.baseline:
                original = self.baseline.parse([text], locale=locale)[0]
                ok_without = goal_met(original, self.assistant.arbiter.route(original).action, goal)
                req.rewritten_turns += result.rewritten is not None
                req.wins += ok and not ok_without
                req.losses += ok_without and not ok
                if ok != ok_without:
                    outcome = "wins" if ok else "losses"
                    req.changes[f"{self._cause(text, locale, result.rewritten)}_{outcome}"] += 1
                    if result.rewritten is None and isinstance(self.parser, ScopedParser):
                        req.scope_rules[f"{self.parser.rule_of(text, locale)}_{outcome}"] += 1
            if turns == 0:
                req.first_ok, req.first_ok_without, req.first_text = ok, ok_without, text
            if result.turn_id is not None:
                self.episode_of[result.turn_id] = (user, day, r)
                if rater:
                    # a separate draw, so that corrections leave the traffic as it is
                    correct = random.Random(f"{s.seed}:{user}:{day}:{r}:{turns}:meant").random() < s.corrections
                    meant = goal.intent if not ok and correct else None
                    self.store.record_feedback(result.turn_id, "good" if ok else "bad", intent=meant)
            turns += 1
            if ok:
                solved = True
                break
            if turns > s.max_rephrases or not remaining or rng.random() < s.give_up:
                break
            template = zipf_pick(remaining, rng, s.phrasing_zipf)
            remaining = [o for o in remaining if o is not template]
            self.now += timedelta(seconds=rng.uniform(3.0, 15.0))
        req.turns, req.solved = turns, solved
        return req

    def learn(self) -> tuple[list[MinedRewrite], list[TurnOutcome]]:
        """Label the whole log so far, mine rewrites, store them; the rewriter reloads them."""
        mined, outcomes = self._mine_log()
        self.store.save_mined_rewrites([m.to_dict() for m in mined])
        self.rewriter.refresh(force=True)
        return mined, outcomes

    def retrain(self, mined: Sequence[MinedRewrite], outcomes: Sequence[TurnOutcome], day: int) -> None:
        """Refit the parser on its training data plus the mined pairs (always from the original parser and
        data, so refits do not compound; ``settings.refit`` adds anchors and a replay gate), and let the
        assistant use it from the next day on."""
        if not isinstance(self.baseline, LinearParser):
            return
        started = time.perf_counter()
        refit = refit_from_log(self.baseline, self.parser, mined, outcomes, self.training, self.settings.refit)
        seconds = time.perf_counter() - started
        report = refit.report
        labels = self.check_labels(mined, outcomes) if self.settings.refit.paths else {}
        self.retrains.append({"day": day, **report, "applied": refit.parser is not None, "seconds": round(seconds, 1),
                              **labels})  # fmt: skip
        if refit.parser is not None:
            self.parser = refit.parser
            self.assistant.parser = refit.parser
            taught: dict[str, set[str]] = defaultdict(set)
            for ex in refit.taught:
                taught[ex.locale].add(normalize_utterance(ex.text))
            self.taught.update(taught)  # a locale the replay gate dropped keeps what it was taught before
            self.logged = {(t.locale, normalize_utterance(t.text)) for t in self.store.turn_log()}
        log.info("after day %d: parser refit on %d mined examples in %.0f s", day, report["examples"], seconds)

    def label_precision(self, examples: Sequence[Example]) -> dict[str, Any]:
        """Of ``examples``, how many carry the label of the goal their text was most often said for (the
        simulation's truth): the intent and every slot value, as the simulated user judges a parse."""
        right = judged = 0
        for ex in examples:
            goals = self.gold.get((ex.locale, normalize_utterance(ex.text)))
            if not goals:
                continue
            label = {"intent": ex.intent, "slots": [{"name": sp.name, "value": ex.text[sp.start : sp.end]}
                                                     for sp in ex.spans]}  # fmt: skip
            judged += 1
            right += goal_met(label, "", self.goal_of[goals.most_common(1)[0][0]])
        return {"examples": len(examples), "judged": judged, "right": right,
                "precision": round(right / judged, 4) if judged else None}  # fmt: skip

    def check_labels(self, mined: Sequence[MinedRewrite], outcomes: Sequence[TurnOutcome]) -> dict[str, Any]:
        """How right the labels a refit can learn from are, against the goals (``label_precision`` of the mined
        examples and of path examples at failure cuts 1, 2 and every path), beside what the users who rate
        turns estimate for each cut (``calibrate_path_cut``): the check of that estimate on this traffic."""
        examples = examples_from_rewrites(mined)[0]
        withdrawn = {(m.locale, m.source) for m in mined if m.status != "active"}
        labels = {"mined": self.label_precision(examples)}
        for most in (1, 2, None):
            labels[f"paths_max_failures_{most}"] = self.label_precision(
                new_path_examples(examples, outcomes, withdrawn, most)[0]
            )
        estimate = calibrate_path_cut(outcomes, self.settings.refit.path_min_precision)
        return {"label_precision": labels, "raters_estimate": estimate.to_dict()}

    def _cause(self, text: str, locale: str, rewritten: Any) -> str:
        """What changed a turn's outcome: the rewriter, or the refit on a taught, logged or new text."""
        if rewritten is not None:
            return "rewrite"
        key = normalize_utterance(text)
        if key in self.taught.get(locale, ()):
            return "taught"
        return "logged" if (locale, key) in self.logged else "new"

    def rewrite_precision(self) -> dict[str, tuple[int, int]]:
        """Per locale: of the active rewrites, how many make the parser meet the goal their source was said for."""
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.store.rewrites(status="active"):
            goals = self.gold.get((row.locale, row.source))
            if not goals:
                continue
            goal = self.goal_of[goals.most_common(1)[0][0]]
            parse = self.parser.parse([row.target], locale=row.locale)[0]
            if row.intent is not None:
                parse = given_intent(parse, row.intent)
            out[row.locale][0] += goal_met(parse, self.assistant.arbiter.route(parse).action, goal)
            out[row.locale][1] += 1
        return {loc: (right, total) for loc, (right, total) in out.items()}

    def pairs(self) -> list[Pair]:
        """Consecutive turns of each user within the window, labelled by the simulation's truth."""
        out = []
        turns = self.store.turn_log()
        for a, b in itertools.pairwise(turns):
            if (a.user_id or a.session_id) != (b.user_id or b.session_id) or a.locale != b.locale:
                continue
            gap = (b.at - a.at).total_seconds()
            if gap > self.settings.window_seconds:
                continue
            episode = self.episode_of.get(a.id)
            same = episode is not None and episode == self.episode_of.get(b.id)
            out.append(Pair(a, b, gap, same, a.locale))
        return out

    def lookup_latency(self, sample: int = 5000) -> list[float]:
        """Microseconds per rewriter lookup, over texts users said (what each turn pays)."""
        texts = [(loc, text) for (loc, text) in list(self.gold)[:sample]]
        times = []
        for loc, text in texts:
            started = time.perf_counter()
            self.rewriter.lookup(text, loc)
            times.append((time.perf_counter() - started) * 1e6)
        return times


def _request_gap(rng: random.Random) -> float:
    """Seconds between a user's requests: often a minute or two, sometimes within seconds, sometimes hours."""
    return float(min(rng.lognormvariate(4.5, 1.2), 4 * 3600.0))


def simulation_report(result: SimulationResult) -> dict[str, Any]:
    s = result.settings
    locales = list(s.locales)

    def figures(reqs: list[Request]) -> dict[str, Any]:
        n = len(reqs)
        later = [r for r in reqs if r.day >= 1 and r.recurring]
        with_ = sum(not r.first_ok for r in later)
        without = sum(not r.first_ok_without for r in later)
        wins, losses = sum(r.wins for r in reqs), sum(r.losses for r in reqs)
        return {
            "requests": n,
            "turns": sum(r.turns for r in reqs),
            "defect_rate": round(sum(not r.first_ok for r in reqs) / n, 4) if n else None,
            "defect_rate_without_learning": round(sum(not r.first_ok_without for r in reqs) / n, 4) if n else None,
            "unsolved_rate": round(sum(not r.solved for r in reqs) / n, 4) if n else None,
            "recurring_requests": len(later),
            "recurring_defects": with_,
            "recurring_defects_without_learning": without,
            "defect_reduction": round((without - with_) / without, 4) if without else None,
            "rewritten_turns": sum(r.rewritten_turns for r in reqs),
            "wins": wins,
            "losses": losses,
            "win_loss": round(wins / losses, 2) if losses else None,
            "changes": dict(sorted(sum((r.changes for r in reqs), Counter()).items())),
            "scope_rules": dict(sorted(sum((r.scope_rules for r in reqs), Counter()).items())),
        }

    overall = figures(result.requests)
    overall["exact_rewrite_ceiling"] = exact_rewrite_ceiling(result.requests)
    overall["learnable_ceiling"] = learnable_ceiling(result.requests)
    right = sum(r for r, _ in result.rewrite_precision.values())
    mined = sum(t for _, t in result.rewrite_precision.values())
    overall.update(
        rewrites=mined,
        rewrite_precision=round(right / mined, 4) if mined else None,
        mining_seconds_total=round(sum(result.mining_seconds), 3),
        retrains=result.retrains,
        **({} if result.label_check is None else {"label_check": result.label_check}),
        turns_logged=result.turns_logged,
        rewriter_lookup_us_p50=round(float(np.median(result.rewriter_lookup_us)), 2)
        if result.rewriter_lookup_us
        else None,
    )
    per_locale = {}
    for loc in locales:
        fig = figures([r for r in result.requests if r.locale == loc])
        right_l, mined_l = result.rewrite_precision.get(loc, (0, 0))
        fig.update(rewrites=mined_l, rewrite_precision=round(right_l / mined_l, 4) if mined_l else None)
        per_locale[loc] = fig
    per_day = []
    for day in range(s.days):
        reqs = [r for r in result.requests if r.day == day]
        per_day.append(
            {
                "day": day + 1,
                "active_rewrites": result.day_rewrites[day],
                **{k: figures(reqs)[k] for k in ("requests", "defect_rate", "defect_rate_without_learning")},
                "per_locale": {loc: figures([r for r in reqs if r.locale == loc])["defect_rate"] for loc in locales},
            }
        )
    settings = asdict(s)
    settings["locales"] = locales
    return {"settings": settings, "overall": overall, "per_locale": per_locale, "per_day": per_day}


def _recurring_defects(requests: Sequence[Request]) -> list[tuple[bool, bool]]:
    """For each recurring defect (without learning, days after the first): whether its very text had failed
    on an earlier day, and whether its goal had been solved, with some phrasing, on an earlier day."""
    failed: set[tuple[str, str]] = set()
    solved: set[tuple[Any, ...]] = set()
    out = []
    for day in sorted({r.day for r in requests}):
        today = [r for r in requests if r.day == day]
        for r in today:
            if day >= 1 and r.recurring and not r.first_ok_without:
                out.append(((r.locale, normalize_utterance(r.first_text)) in failed, r.goal in solved))
        failed |= {(r.locale, normalize_utterance(r.first_text)) for r in today if not r.first_ok_without}
        solved |= {r.goal for r in today if r.solved}
    return out


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def exact_rewrite_ceiling(requests: Sequence[Request]) -> float | None:
    """The largest defect reduction on recurring goals that exact-match rewrites could reach: the share of
    those defects whose very text failed on an earlier day while its goal had been solved on an earlier day.
    Rewrites need both."""
    return _share([text_failed and goal_solved for text_failed, goal_solved in _recurring_defects(requests)])


def learnable_ceiling(requests: Sequence[Request]) -> float | None:
    """The largest defect reduction on recurring goals that learning from successes could reach: the share of
    those defects whose goal some user had reached, with any phrasing, on an earlier day. A goal nobody ever
    got through (every phrasing fails, or it has no other phrasing to rephrase with) leaves no success to
    learn its meaning from."""
    return _share([goal_solved for _, goal_solved in _recurring_defects(requests)])
