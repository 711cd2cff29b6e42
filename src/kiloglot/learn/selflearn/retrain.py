"""New training data from mined rewrites, and the parser trained again on it (``kiloglot selflearn``).

A mined rewrite ``u -> u*`` says that users who said ``u`` meant what ``u*`` was understood as. The
failed utterance ``u`` (as users said it) becomes a training example labelled with the successful
parse of ``u*``: its intent, and each slot value of that parse found in ``u`` as whole words labelled
with its slot. A rewrite whose slot values do not all appear in ``u`` gives no example (half a label
would teach the parser that those words are outside any slot).

The parser is then trained again on its original training data plus these examples (a linear model
refits only the locales that got new examples; other kinds train again in full), scored on MASSIVE
dev before and after; the new model is kept only when dev exact match did not fall.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiloglot.assistant.rewriter import normalize_utterance
from kiloglot.data.codec import AnnotationError, SlotCodec
from kiloglot.data.example import Example
from kiloglot.data.segmentation import splits_characters, word_offsets
from kiloglot.errors import InputError
from kiloglot.evaluation.evaluate import dev_metrics
from kiloglot.learn.selflearn.mining import MinedRewrite
from kiloglot.learn.selflearn.rephrase import FAILED_ACTIONS
from kiloglot.learn.selflearn.scope import NEEDS_CONFIRMED, ScopedParser, check_scope
from kiloglot.learn.selflearn.signals import TurnOutcome, reformulation_paths
from kiloglot.nlu import registry
from kiloglot.nlu.contract import Parser, Saveable, TrainableParser
from kiloglot.nlu.linear.parser import LinearParser
from kiloglot.nlu.parse import Parse

log = logging.getLogger(__name__)


def _find(text: str, value: str, locale: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Where ``value`` stands in ``text`` as whole words (any case), not overlapping ``taken``."""
    lowered, needle = text.lower(), value.strip().lower()
    if not needle or len(lowered) != len(text):
        return None
    offsets = word_offsets(text, locale)
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    at = lowered.find(needle)
    while at >= 0:
        span = (at, at + len(needle))
        whole = splits_characters(locale) or (span[0] in starts and span[1] in ends)
        if whole and all(span[1] <= a or span[0] >= b for a, b in taken):
            return span
        at = lowered.find(needle, at + 1)
    return None


def labelled_example(text: str, parse: dict[str, Any], locale: str, id: str) -> Example | None:
    """``text`` labelled with ``parse``: its intent, and each slot value found in ``text`` as whole words;
    None when a slot value is not in it."""
    text, intent = text.strip(), str(parse.get("intent") or "")
    if not text or not intent:
        return None
    spans: list[tuple[int, int, str]] = []
    for slot in parse.get("slots", []):
        found = _find(text, str(slot.get("value", "")), locale, [(a, b) for a, b, _ in spans])
        if found is None:
            return None
        spans.append((*found, str(slot["name"])))
    pieces, pos = [], 0
    for start, end, name in sorted(spans):
        pieces += [text[pos:start], f"[{name} : {text[start:end]}]"]
        pos = end
    pieces.append(text[pos:])
    try:
        return SlotCodec.decode("".join(pieces), locale, text, id=id, intent=intent, partition="selflearn")
    except AnnotationError:
        return None


def example_from_rewrite(rewrite: MinedRewrite, n: int = 0) -> Example | None:
    """The failed utterance labelled with the successful parse of its rewrite; None when a slot value of
    that parse is not in it."""
    return labelled_example(rewrite.source_text, rewrite.target_parse, rewrite.locale, f"selflearn-{n}")


def examples_from_rewrites(rewrites: Iterable[MinedRewrite]) -> tuple[list[Example], int]:
    """Training examples of the active rewrites, and how many gave none."""
    examples, skipped = [], 0
    utterances = (r for r in rewrites if r.status == "active" and "{" not in r.source)  # phrasings have no text
    for n, rewrite in enumerate(utterances):
        ex = example_from_rewrite(rewrite, n)
        if ex is None:
            skipped += 1
        else:
            examples.append(ex)
    return examples, skipped


def refit_linear(
    parser: LinearParser, new_examples: Sequence[Example], train: Sequence[Example], dev: Sequence[Example] = ()
) -> LinearParser:
    """``parser`` with the locales of ``new_examples`` trained again on their part of ``train`` plus the new
    examples; every other locale kept as it is."""
    locales = {e.locale for e in new_examples}
    own = [e for e in train if e.locale in locales]
    return parser.refit([*own, *new_examples], list(dev) or None)


def examples_from_successes(outcomes: Iterable[TurnOutcome]) -> tuple[list[Example], list[int]]:
    """Confirmed successes as training examples, labelled with the parse the user accepted, and how many
    turns said each: one per distinct (locale, normalised text) whose every turn in the log succeeded,
    parsed as said (not through a rewrite) and not a fallback. Refitting on these anchors what the parser
    already gets right, so that learning the mined pairs does not unlearn it."""
    turns: dict[tuple[str, str], list[TurnOutcome]] = defaultdict(list)
    for o in outcomes:
        turns[(o.turn.locale, normalize_utterance(o.turn.text))].append(o)
    examples, counts = [], []
    for (locale, _), group in turns.items():
        if any(o.defect or o.turn.rewritten is not None or o.turn.action in FAILED_ACTIONS for o in group):
            continue
        t = group[-1].turn
        ex = labelled_example(t.text, t.parse, locale, f"selflearn-ok-{t.id}")
        if ex is not None:
            examples.append(ex)
            counts.append(len(group))
    return examples, counts


def examples_from_paths(
    outcomes: Sequence[TurnOutcome], max_source_success: float = 0.5, max_failures: int | None = None
) -> tuple[list[Example], list[int]]:
    """Every reformulation that ended well, as training examples: each failed turn of a path whose last turn
    succeeded, labelled with that last turn's parse (slot values found in the failed text as whole words), and
    how many turns said each. One per distinct (locale, normalised text), the label most paths gave it, and only
    texts that rarely work as said (success rate, over the turns parsed as said, <= ``max_source_success``).

    ``max_failures``: only paths whose success came after at most this many failed turns. A path's last turn
    counts as a success when nothing after it says otherwise, and after several failures that silence is as
    often a user who gave up on a wrong answer: in the simulation, two thirds of the labels of paths with three
    failures were wrong, one in ten of those with one.

    Rewrites must be precise, so mining asks more of a pair (a target that works again and again); a refit is
    checked by replaying the log, so it can learn from every such path, including those of goals whose
    target was reached once."""
    said: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for o in outcomes:
        if o.turn.rewritten is None:
            said[(o.turn.locale, normalize_utterance(o.turn.text))].append(not o.defect)
    labels: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    found: dict[tuple[str, str, str], Example] = {}
    for path in reformulation_paths(outcomes):
        last = path[-1]
        if len(path) < 2 or last.defect or last.turn.action in FAILED_ACTIONS:
            continue
        if max_failures is not None and len(path) - 1 > max_failures:
            continue
        for o in path[:-1]:
            key = (o.turn.locale, normalize_utterance(o.turn.text))
            runs = said.get(key, [])
            if o.turn.rewritten is not None or not runs or sum(runs) / len(runs) > max_source_success:
                continue
            ex = labelled_example(o.turn.text, last.turn.parse, o.turn.locale, f"selflearn-path-{o.turn.id}")
            if ex is None:
                continue
            signature = repr(example_signature(ex))
            labels[key][signature] += 1
            found.setdefault((*key, signature), ex)
    examples, counts = [], []
    for key, votes in labels.items():
        signature = votes.most_common(1)[0][0]
        examples.append(found[(*key, signature)])
        counts.append(len(said[key]))
    return examples, counts


UNRATED_DEFECT_EVIDENCE = frozenset({"failed", "corrected", "asked_again"})


@dataclass(frozen=True)
class PathCut:
    """The failure cut the raters' paths call for (``calibrate_path_cut``).

    ``max_failures``: learn from paths that succeeded after at most this many failed turns (None: every path;
    0: none). ``rated``: per number of failed turns, [last turns rated good, last turns rated] among paths
    whose last turn would count as a success without its rating. ``precision``: per cut, the share of those
    rated good over the paths with at most that many failures."""

    max_failures: int | None
    rated: dict[int, list[int]]
    precision: dict[int, float]
    min_precision: float

    def to_dict(self) -> dict[str, Any]:
        return {"max_failures": self.max_failures, "min_precision": self.min_precision,
                "rated": {str(k): v for k, v in sorted(self.rated.items())},
                "precision": {str(k): round(v, 4) for k, v in sorted(self.precision.items())}}  # fmt: skip


def calibrate_path_cut(
    outcomes: Sequence[TurnOutcome], min_precision: float = 0.85, min_rated: int = 30, fallback: int = 1
) -> PathCut:
    """The largest failure cut at which the rated paths say path labels are right often enough.

    A path's label is its last turn's parse, and that turn counts as a success when nothing after it says
    otherwise; users who rate turns say so. Among their paths whose last turn has no other defect evidence
    (the ones an unrated user's silence would make a success), the share rated good, over the paths with at
    most N failed turns, estimates how often a silent ending after at most N failures was right. The cut is the
    largest N at which that share is at least ``min_precision``; None (every path) when the longest paths pass
    too; 0 (no path) when even one failure does not. With fewer than ``min_rated`` rated endings, ``fallback``.
    """
    if not 0 < min_precision <= 1:
        raise InputError(f"path label precision {min_precision}: expected a share above 0, at most 1")
    rated: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for path in reformulation_paths(outcomes):
        last = path[-1]
        if len(path) < 2 or last.turn.action in FAILED_ACTIONS or UNRATED_DEFECT_EVIDENCE & set(last.evidence):
            continue
        if "rated_good" in last.evidence or "rated_bad" in last.evidence:
            rated[len(path) - 1][0] += "rated_good" in last.evidence
            rated[len(path) - 1][1] += 1
    precision: dict[int, float] = {}
    good = total = 0
    for failures in sorted(rated):
        good, total = good + rated[failures][0], total + rated[failures][1]
        precision[failures] = good / total
    if total < min_rated:
        log.warning("%d rated path endings (fewer than %d): learning from paths after at most %d failures",
                    total, min_rated, fallback)  # fmt: skip
        return PathCut(fallback, dict(rated), precision, min_precision)
    cut: int | None = 0
    for failures in sorted(precision):  # the cut stops at the first N that fails: a longer one takes its paths too
        if precision[failures] < min_precision:
            break
        cut = failures
    else:
        cut = None  # even the longest paths pass
    log.info("path failure cut %s from %d rated path endings (precision by cut: %s)", cut, total,
             ", ".join(f"{n}: {v:.3f}" for n, v in precision.items()))  # fmt: skip
    return PathCut(cut, dict(rated), precision, min_precision)


def resolve_path_cut(
    setting: int | str | None, outcomes: Sequence[TurnOutcome], min_precision: float = 0.85
) -> tuple[int | None, PathCut | None]:
    """``setting`` as a failure cut: a number or None as it is, ``"auto"`` from the raters' paths."""
    if setting == "auto":
        cut = calibrate_path_cut(outcomes, min_precision)
        return cut.max_failures, cut
    if setting is None or isinstance(setting, int):
        return setting, None
    raise InputError(f"path failure cut {setting!r}: expected a whole number, 'auto' or none")


def parse_path_cut(text: str | None, min_precision: float = 0.85) -> int | str | None:
    """``--path-max-failures`` as given: None, ``"auto"`` or a whole number of at least 1 (and
    ``--path-min-precision`` checked: a share above 0, at most 1)."""
    if not 0 < min_precision <= 1:
        raise InputError(f"--path-min-precision {min_precision}: expected a share above 0, at most 1")
    if text is None or text.strip().lower() == "auto":
        return None if text is None else "auto"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(f"--path-max-failures {text}: expected a whole number, 1 or more, or 'auto'")
    return value


def new_path_examples(
    examples: Sequence[Example],
    outcomes: Sequence[TurnOutcome],
    exclude: Iterable[tuple[str, str]] = (),
    max_failures: int | None = None,
) -> tuple[list[Example], list[int]]:
    """``examples_from_paths`` of ``outcomes`` whose (locale, normalised text) is neither among ``examples``
    (the mined ones take precedence) nor in ``exclude`` (e.g. rewrites a person disabled), with their counts."""
    have = {(e.locale, normalize_utterance(e.text)) for e in examples} | set(exclude)
    added, counts = [], []
    for ex, n in zip(*examples_from_paths(outcomes, max_failures=max_failures), strict=True):
        if (ex.locale, normalize_utterance(ex.text)) not in have:
            added.append(ex)
            counts.append(n)
    return added, counts


def refit_data(
    mined: Sequence[Example],
    anchors: Sequence[Example],
    mined_weight: int,
    paths: Sequence[Example] = (),
    path_weight: int | None = None,
) -> list[Example]:
    """What a refit adds to the parser's own training data: each mined example ``mined_weight`` times, each
    path example ``path_weight`` times (None: as many as a mined one), then the anchors."""
    copies = mined_weight if path_weight is None else path_weight
    return [*list(mined) * max(mined_weight, 1), *list(paths) * max(copies, 1), *anchors]


def _signature(intent: str, slots: Iterable[tuple[str, str]]) -> tuple[str, frozenset[tuple[tuple[str, str], int]]]:
    said = Counter((name, normalize_utterance(value)) for name, value in slots)
    return intent, frozenset(said.items())


def example_signature(ex: Example) -> tuple[str, frozenset[tuple[tuple[str, str], int]]]:
    return _signature(ex.intent, ((s.name, ex.text[s.start : s.end]) for s in ex.spans))


def parse_signature(p: Parse) -> tuple[str, frozenset[tuple[tuple[str, str], int]]]:
    return _signature(p.intent, ((s.name, s.value) for s in p.slots))


@dataclass(frozen=True)
class RefitSettings:
    """How a linear parser is refit on what self-learning found.

    ``mined_weight``: copies of each mined example in the refit data (a few hundred examples among
    thousands are otherwise outvoted). ``anchors``: also train on the log's confirmed successes. ``paths``:
    also train on the failed turns of every reformulation that ended well, not only on the mined rewrites;
    ``path_weight``: copies of each such path example (None: ``mined_weight``; a path's label is less sure than
    a mined rewrite's, which needs a target that worked again and again). ``replay_gate``: a locale's refit
    is kept only when, replaying the log, the turns it mends outnumber the turns it breaks by this factor,
    counting at least one broken turn (so a refit must mend that many turns even when it breaks none); None
    keeps every refit. ``path_max_failures``: learn only from paths that succeeded after at most this many
    failed turns (``examples_from_paths``); None takes every path, ``"auto"`` the largest cut at which the
    paths of users who rate turns ended right at least ``path_min_precision`` of the time. ``scope``: which
    texts the refit answers: "all", "taught" (only the texts it learnt from; the original parser the rest),
    "phrasing" (also taught phrasings said with other slot values), "goal" (also texts it reads as a taught
    goal) or "intent" (also texts whose intent it reads otherwise than the original; ``ScopedParser``)."""

    mined_weight: int = 1
    anchors: bool = False
    replay_gate: float | None = None
    paths: bool = False  # also learn from every reformulation path that ended well (``examples_from_paths``)
    path_weight: int | None = None
    path_max_failures: int | str | None = None  # a number, None (every path) or "auto" (``calibrate_path_cut``)
    path_min_precision: float = 0.85  # for "auto": the share of rated path endings that must be right
    scope: str = "all"  # one of ``SCOPES`` (``ScopedParser``)

    def __post_init__(self) -> None:
        check_scope(self.scope)


@dataclass
class ReplayCheck:
    """A candidate refit replayed on the log, per locale: turns of mined sources it now reads as their
    rewrites did (mended, which the current parser did not) and turns of confirmed successes it now reads
    differently (broken), each weighted by how many logged turns said it."""

    mended: int = 0
    broken: int = 0
    kept: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"mended": self.mended, "broken": self.broken, "kept": self.kept}


def replay_check(
    candidate: Parser,
    current: Parser,
    mined: Sequence[Example],
    mined_turns: Sequence[int],
    anchors: Sequence[Example],
    anchor_turns: Sequence[int],
) -> dict[str, ReplayCheck]:
    """What ``candidate`` would change on the logged traffic, per locale (see ``ReplayCheck``)."""
    checks: dict[str, ReplayCheck] = defaultdict(ReplayCheck)
    for group, weights, mend in ((mined, mined_turns, True), (anchors, anchor_turns, False)):
        by_locale: dict[str, list[tuple[Example, int]]] = defaultdict(list)
        for ex, w in zip(group, weights, strict=True):
            by_locale[ex.locale].append((ex, w))
        for locale, items in by_locale.items():
            texts = [ex.text for ex, _ in items]
            new = candidate.parse(texts, locale=locale)
            if mend:
                old = current.parse(texts, locale=locale)
                for (ex, w), a, b in zip(items, old, new, strict=True):
                    right = example_signature(ex)
                    checks[locale].mended += w * (parse_signature(b) == right != parse_signature(a))
            else:
                for (ex, w), b in zip(items, new, strict=True):
                    checks[locale].broken += w * (parse_signature(b) != example_signature(ex))
    return dict(checks)


@dataclass
class Refit:
    """What ``refit_from_log`` made: the parser to serve (None: keep the current one), its report, and the
    examples it was taught (mined and path examples, not anchors)."""

    parser: Parser | None
    report: dict[str, Any]
    taught: list[Example] = field(default_factory=list)


def refit_from_log(
    parser: LinearParser,
    current: Parser,
    mined: Sequence[MinedRewrite],
    outcomes: Sequence[TurnOutcome],
    train: Sequence[Example],
    settings: RefitSettings,
) -> Refit:
    """``parser`` (the original model) refit on ``train`` plus the mined pairs (and, per ``settings``,
    anchors), checked by replaying the log against ``current`` (the parser serving now): the refit of a
    locale that fails the gate is dropped for ``current``'s model of it. With a ``settings.scope`` other
    than "all", the refit answers only texts like those it was taught (``ScopedParser``). No parser when
    nothing was mined."""
    examples, skipped = examples_from_rewrites(mined)
    support = {(m.locale, m.source): max(m.support, 1) for m in mined}
    mined_turns = [support.get((e.locale, normalize_utterance(e.text)), 1) for e in examples]
    added: list[Example] = []
    calibrated: PathCut | None = None
    if settings.paths:  # not the sources of withdrawn rewrites: their users turned out to mean different things
        withdrawn = {(m.locale, m.source) for m in mined if m.status != "active"}
        most, calibrated = resolve_path_cut(settings.path_max_failures, outcomes, settings.path_min_precision)
        added, counts = new_path_examples(examples, outcomes, withdrawn, most)
        mined_turns += counts
    from_rewrites, examples = examples, [*examples, *added]
    if not examples:
        return Refit(None, {"examples": 0, "skipped": skipped})
    locales = {e.locale for e in examples}
    # labelling the successes costs a pass over the log
    needed = settings.anchors or settings.replay_gate is not None or settings.scope in NEEDS_CONFIRMED
    anchors, anchor_turns = examples_from_successes(outcomes) if needed else ([], [])
    anchors_used = [a for a in anchors if a.locale in locales] if settings.anchors else []
    data = refit_data(from_rewrites, anchors_used, settings.mined_weight, added, settings.path_weight)
    fresh: Parser = refit_linear(parser, data, train)
    report: dict[str, Any] = {"examples": len(examples), "skipped": skipped, "anchors": len(anchors_used),
                              "locales": sorted(locales), "scope": settings.scope}  # fmt: skip
    if settings.paths:
        report["from_paths"] = len(added)
        if calibrated is not None:
            report["path_cut"] = calibrated.to_dict()
    if settings.scope != "all":
        fresh = ScopedParser.taught_from(parser, fresh, examples, settings.scope, confirmed=anchors)
    if settings.replay_gate is None:
        return Refit(fresh, report, examples)
    in_locales = [(a, n) for a, n in zip(anchors, anchor_turns, strict=True) if a.locale in locales]
    checks = replay_check(fresh, current, examples, mined_turns, [a for a, _ in in_locales], [n for _, n in in_locales])
    dropped = []
    for locale in sorted(locales):
        check = checks.setdefault(locale, ReplayCheck())
        check.kept = check.mended >= settings.replay_gate * max(check.broken, 1)
        if not check.kept:
            dropped.append(locale)
    report["replay"] = {loc: c.to_dict() for loc, c in sorted(checks.items())}
    if len(dropped) == len(locales):
        return Refit(None, report, [])
    if dropped:
        fresh = _with_locales_of(fresh, current, dropped)
    return Refit(fresh, report, [e for e in examples if e.locale not in dropped])


def _with_locales_of(fresh: Parser, current: Parser, locales: Sequence[str]) -> Parser:
    """``fresh`` with ``current``'s model (and, scoped, its taught texts) of ``locales``."""
    if isinstance(fresh, ScopedParser):
        inner = current.refit if isinstance(current, ScopedParser) else current
        kept = current.taught if isinstance(current, ScopedParser) else {}
        taught = {loc: texts for loc, texts in fresh.taught.items() if loc not in locales}
        taught.update({loc: kept[loc] for loc in locales if loc in kept})
        refit = _with_locales_of(fresh.refit, inner, locales)
        return ScopedParser(fresh.original, refit, taught, fresh.scope, confirmed=fresh.confirmed)
    if not isinstance(fresh, LinearParser) or not isinstance(current, LinearParser):
        raise InputError(f"a replay gate keeps the current model of some locales: expected a linear model, "
                         f"not {current.kind}")  # fmt: skip
    return fresh.with_locales_of(current, locales)


@dataclass
class RetrainOutcome:
    parser: Parser
    before: dict[str, Any]
    after: dict[str, Any]
    examples: int
    skipped: int
    locales: list[str]
    kept: bool
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    unscoped_after: dict[str, Any] | None = None  # a scoped refit: the refit alone, answering every text

    @property
    def exact_match_before(self) -> float:
        return float(self.before["dev"]["mean"]["exact_match"]) if self.before else 0.0

    @property
    def exact_match_after(self) -> float:
        return float(self.after["dev"]["mean"]["exact_match"]) if self.after else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "skipped": self.skipped,
            "locales": self.locales,
            "dev_exact_match_before": round(self.exact_match_before, 4),
            "dev_exact_match_after": round(self.exact_match_after, 4),
            "per_locale_before": _per_locale(self.before),
            "per_locale_after": _per_locale(self.after),
            "kept": self.kept,
            "path": str(self.path) if self.path else None,
            "notes": self.notes,
            **({} if self.unscoped_after is None else
               {"dev_exact_match_unscoped": round(float(self.unscoped_after["dev"]["mean"]["exact_match"]), 4)}),
        }  # fmt: skip


def _per_locale(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: round(v["exact_match"], 4) for k, v in metrics.get("dev", {}).get("per_locale", {}).items()}


def retrain(
    parser: Parser,
    new_examples: Sequence[Example],
    train: Sequence[Example],
    dev: Sequence[Example],
    out: str | Path | None,
    *,
    skipped: int = 0,
    keep_worse: bool = False,
    anchors: Sequence[Example] = (),
    mined_weight: int = 1,
    path_examples: Sequence[Example] = (),
    path_weight: int | None = None,
    scope: str = "all",
    original_source: str | Path | None = None,
    confirmed: Sequence[Example] = (),
) -> RetrainOutcome:
    """``parser`` trained again on ``train`` (its own training data) plus ``new_examples`` and ``path_examples``,
    scored on ``dev`` (of the locales that got examples) before and after, saved to ``out`` unless dev exact
    match fell (``keep_worse`` saves it anyway). ``anchors`` (confirmed successes, ``examples_from_successes``)
    join the training data; each new example counts ``mined_weight`` times, each path example ``path_weight``
    times (None: ``mined_weight``). ``scope`` other than "all": the model scored and saved is a
    ``ScopedParser`` (the refit answering only texts like those it was taught, ``parser`` the rest; linked
    from ``original_source``, the folder ``parser`` was loaded from, where given). ``confirmed``: the log's
    confirmed successes, whose goals the scopes "confirmed" and "unknown" weigh."""
    everything = [*new_examples, *path_examples]
    if not everything:
        raise InputError("no new training examples: mine rewrites first (the log holds no reformulations)")
    if check_scope(scope) in NEEDS_CONFIRMED and not confirmed:
        raise InputError(f"refit scope {scope!r} needs the log's confirmed successes: the log has none")
    locales = sorted({e.locale for e in everything})
    unknown = [loc for loc in locales if not parser.supports(loc)]
    if unknown:
        raise InputError(f"examples in {', '.join(unknown)}: this model reads {', '.join(parser.locales)}")
    own = [e for e in train if e.locale in locales]
    scored = [e for e in dev if e.locale in locales]
    if not own or not scored:
        raise InputError(f"no train or dev examples of {', '.join(locales)}: expected the model's MASSIVE data")
    before = dev_metrics(parser, scored)
    kept_anchors = [a for a in anchors if a.locale in locales]
    added = refit_data(new_examples, kept_anchors, mined_weight, path_examples, path_weight)
    if isinstance(parser, LinearParser):
        fresh: TrainableParser = refit_linear(parser, added, own, scored)
    elif isinstance(parser, TrainableParser):  # other kinds learn all locales at once: train again in full
        fresh = registry.create(parser.kind, **parser.get_params())
        fresh.fit([*train, *added], dev)
    else:
        raise InputError(f"a {parser.kind} model cannot be trained again: retrain the model it was exported from")
    served: Parser = fresh
    if scope != "all":
        served = ScopedParser.taught_from(parser, fresh, everything, scope, original_source, confirmed)
    after = dev_metrics(served, scored)
    outcome = RetrainOutcome(served, before, after, len(everything), skipped, locales, kept=False)
    if scope != "all":
        outcome.unscoped_after = dev_metrics(fresh, scored)
    if outcome.exact_match_after + 1e-12 < outcome.exact_match_before and not keep_worse:
        outcome.notes.append("dev exact match fell: the retrained model was not saved (--keep-worse saves it)")
        return outcome
    outcome.kept = True
    if out is not None:
        assert isinstance(served, Saveable)
        outcome.path = served.save(out, metrics=after)
    return outcome
