#!/usr/bin/env python3
"""Self-learning on simulated traffic: rephrase detection, rewrites, defect reduction, retraining, cost.

Parts (``--parts``, all by default):

- ``detector``: simulated traffic on MASSIVE **train** (no learning) gives consecutive turn pairs labelled
  by the simulation's truth (same request or not); the rephrase detector is fitted on them (``--fit-detector``
  also writes it as the packaged default) and scored on pairs from simulated traffic on **dev** (another
  seed): precision and recall per locale.
- ``simulate``: days of traffic drawn from **dev**, with self-learning between days and without; mining
  sees only the days before each day. Defect rate (first turns the assistant got wrong) per day and
  locale, the relative defect reduction on recurring goals (goals asked on an earlier day), the
  rewriter's wins and losses, the precision of the mined rewrites.
- ``cost``: the rewriter's lookup time per turn (p50), and labelling + mining time for 100k logged turns
  (the simulation's log, its users copied under new ids up to 100k turns).
- ``retrain``: simulated traffic on **train** with learning; its mined rewrites become training examples
  (``kiloglot.learn.selflearn.retrain``), the model's locales that got examples are trained again, dev
  exact match before and after (so the data mined and the data scored never meet).

    python benchmarks/selflearn.py --model models/linear-all --data ../shared/data/massive/... --name selflearn
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from results_io import emit, header, run_timed

from kiloglot.assistant import Store
from kiloglot.data import read_massive
from kiloglot.errors import InputError
from kiloglot.learn.selflearn import MiningSettings, RephraseDetector, default_detector, label_turns, mine_rewrites
from kiloglot.learn.selflearn.retrain import (
    RefitSettings,
    example_signature,
    examples_from_rewrites,
    examples_from_successes,
    new_path_examples,
    parse_path_cut,
    parse_signature,
    resolve_path_cut,
    retrain,
)
from kiloglot.learn.selflearn.scope import SCOPES, ScopedParser
from kiloglot.learn.selflearn.simulate import Simulation, SimulationResult, SimulationSettings
from kiloglot.nlu import load

LOCALES = ("en-US", "de-DE", "es-ES", "ja-JP", "zh-CN", "ar-SA", "hi-IN", "sw-KE")
PACKAGED = Path(__file__).resolve().parents[1] / "src/kiloglot/learn/selflearn/rephrase_default.json"


def simulate(
    parser: Any, examples: list, settings: SimulationSettings, detector: RephraseDetector, training: list = ()
) -> SimulationResult:
    with tempfile.TemporaryDirectory(prefix="kiloglot-bench-") as tmp:
        store = Store(f"sqlite:///{tmp}/sim.db")
        result = Simulation(parser, examples, store, settings, detector, training=training).run()
        store.close()
    return result


def precision_recall(pairs: list, detector: RephraseDetector) -> dict[str, dict[str, float]]:
    by_locale: dict[str, list] = defaultdict(list)
    for p in pairs:
        by_locale[p.locale].append(p)
    out = {}
    for locale, group in [*sorted(by_locale.items()), ("all", pairs)]:
        said = detector.probabilities([(p.first, p.second, p.gap) for p in group]) >= detector.threshold
        truth = np.array([p.rephrase for p in group])
        tp = int((said & truth).sum())
        out[locale] = {
            "pairs": len(group),
            "rephrases": int(truth.sum()),
            "precision": round(tp / max(int(said.sum()), 1), 4),
            "recall": round(tp / max(int(truth.sum()), 1), 4),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=None)
    ap.add_argument("--locales", default=",".join(LOCALES))
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--requests", type=int, default=5)
    ap.add_argument("--min-support", type=int, default=MiningSettings().min_support)
    ap.add_argument("--min-phrasing", type=int, default=MiningSettings().min_phrasing_instances,
                    help="utterance rewrites with different slot values behind a phrasing rewrite")  # fmt: skip
    ap.add_argument("--corrections", type=float, default=0.0,
                    help="share of the raters' bad ratings that also name the intent they meant")  # fmt: skip
    ap.add_argument("--retrain-every", type=int, default=0, help="refit the parser on mined pairs every N days")
    ap.add_argument("--mined-weight", type=int, default=1, help="copies of each mined example in a refit")
    ap.add_argument("--anchors", action="store_true", help="refit on the log's confirmed successes too")
    ap.add_argument("--replay-gate", type=float, default=None, help="keep a locale's refit only when replaying "
                    "the log, it mends this many times the turns it breaks")  # fmt: skip
    ap.add_argument("--paths", action="store_true", help="refit on every reformulation that ended well, not only "
                    "on the mined rewrites")  # fmt: skip
    ap.add_argument("--path-weight", type=int, default=None,
                    help="copies of each path example in a refit (default: --mined-weight)")  # fmt: skip
    ap.add_argument("--path-max-failures", default=None,
                    help="learn only from paths that succeeded after at most this many failed turns; 'auto': "
                    "the cut the raters' paths call for")  # fmt: skip
    ap.add_argument("--path-min-precision", type=float, default=0.85,
                    help="with --path-max-failures auto: the share of rated path endings right")  # fmt: skip
    ap.add_argument("--refit-scope", choices=SCOPES, default="all",
                    help="which texts a refit answers: all, or those like its evidence (kiloglot.learn.selflearn."
                    "scope)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=0, help="the simulation's seed (traffic, goals, phrasings)")
    ap.add_argument("--parts", default="detector,simulate,cost,retrain")
    ap.add_argument("--fit-detector", action="store_true", help="write the fitted detector as the packaged default")
    ap.add_argument("--retrain-out", default=None, help="save the retrained model here")
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    try:
        args.path_max_failures = parse_path_cut(args.path_max_failures, args.path_min_precision)
    except InputError as e:
        ap.error(str(e))
    locales = tuple(args.locales.split(","))
    parts = set(args.parts.split(","))
    parser = load(args.model)
    data = read_massive(args.data, list(locales), ["train", "dev"])
    train = [e for e in data if e.partition == "train"]
    dev = [e for e in data if e.partition == "dev"]
    mining = MiningSettings(min_support=args.min_support, min_phrasing_instances=args.min_phrasing)
    refit = RefitSettings(args.mined_weight, args.anchors, args.replay_gate, args.paths, args.path_weight,
                          args.path_max_failures, args.path_min_precision, args.refit_scope)  # fmt: skip
    base = SimulationSettings(locales=locales, users=args.users, days=args.days, requests_per_day=args.requests,
                              mining=mining, retrain_every=args.retrain_every, corrections=args.corrections,
                              refit=refit, seed=args.seed)  # fmt: skip
    auto = {"path_min_precision": args.path_min_precision} if args.path_max_failures == "auto" else {}
    result: dict[str, Any] = {**header("selflearn"), "model": args.model, "settings": {
        "locales": list(locales), "seed": args.seed, "users": args.users, "days": args.days,
        "requests_per_day": args.requests, "retrain_every": args.retrain_every, "corrections": args.corrections,
        "mining": mining.__dict__,
        "refit": {"mined_weight": args.mined_weight, "anchors": args.anchors,
                  "replay_gate": args.replay_gate, "paths": args.paths, "path_weight": args.path_weight,
                  "path_max_failures": args.path_max_failures, "scope": args.refit_scope, **auto}}}  # fmt: skip
    table: list[str] = []
    detector = default_detector()

    if "detector" in parts:
        fit_run = simulate(parser, train, _with(base, learning=False, days=3, seed=11), detector)
        pairs = [(p.first, p.second, p.gap) for p in fit_run.pairs]
        detector = RephraseDetector.fit(pairs, [p.rephrase for p in fit_run.pairs],
                                        fitted_on=f"simulated MASSIVE train traffic, {','.join(locales)}")  # fmt: skip
        if args.fit_detector:
            detector.save(PACKAGED)
        held_out = simulate(parser, dev, _with(base, learning=False, days=3, seed=12), detector)
        scores = precision_recall(held_out.pairs, detector)
        result["rephrase_detection"] = {"fit_pairs": len(pairs), "held_out": scores,
                                        "coef": dict(zip(detector.features, detector.coef))}  # fmt: skip
        table += ["Rephrase detection on held-out pairs (simulated dev traffic; fitted on simulated train traffic)",
                  "", "| locale | pairs | rephrases | precision | recall |", "|---|---:|---:|---:|---:|"]  # fmt: skip
        table += [f"| {loc} | {s['pairs']} | {s['rephrases']} | {100 * s['precision']:.1f} | {100 * s['recall']:.1f} |"
                  for loc, s in scores.items()]  # fmt: skip
        table.append("")

    if "simulate" in parts or "cost" in parts:
        with_run = simulate(parser, dev, base, detector, train)
        without_run = simulate(parser, dev, _with(base, learning=False), detector)
        w, wo = with_run.report(), without_run.report()
        result["with_learning"], result["without_learning"] = w, wo
        table += _simulation_table(w, wo, locales)

    if "cost" in parts:
        lookups = with_run.rewriter_lookup_us
        result["cost"] = {"rewriter_lookup_us_p50": round(float(np.median(lookups)), 2),
                          "rewriter_lookup_us_p99": round(float(np.percentile(lookups, 99)), 2),
                          **_mining_cost(parser, dev, base, detector)}  # fmt: skip
        c = result["cost"]
        table += [f"Cost: rewriter lookup p50 {c['rewriter_lookup_us_p50']:.2f} µs "
                  f"(p99 {c['rewriter_lookup_us_p99']:.2f}); labelling + mining {c['turns']:,} turns: "
                  f"{c['seconds']:.1f} s "
                  f"({c['seconds_per_100k_turns']:.1f} s per 100k turns)", ""]  # fmt: skip

    if "retrain" in parts:
        result["retrain"] = _retrain(
            parser, train, dev, base, detector, args.retrain_out, args.mined_weight, args.anchors
        )
        r = result["retrain"]
        table += [f"Retraining on mined pairs (simulated train traffic): {r['examples']} examples "
                  f"({r.get('from_paths', 0)} from paths; {r['skipped']} rewrites without every slot), "
                  f"dev EM {100 * r['dev_exact_match_before']:.2f} -> "
                  f"{100 * r['dev_exact_match_after']:.2f} over {', '.join(r['locales'])}", "",
                  "| locale | dev EM before | after |", "|---|---:|---:|"]  # fmt: skip
        table += [f"| {loc} | {100 * r['per_locale_before'][loc]:.2f} | {100 * r['per_locale_after'][loc]:.2f} |"
                  for loc in r["locales"]]  # fmt: skip
        table += [
            "",
            "Labels right (the simulation's goal for the text): "
            + ", ".join(f"{k} {v['right']}/{v['judged']}" for k, v in r["label_precision"].items()),
            "",
            f"Parse latency a turn, p50 (p99): original {r['serving_ms']['original_p50']:.3f} ms "
            f"({r['serving_ms']['original_p99']:.3f}), retrained {r['serving_ms']['served_p50']:.3f} ms "
            f"({r['serving_ms']['served_p99']:.3f})",
            "",
        ]
    emit(args.name, result, table)
    return 0


def _with(settings: SimulationSettings, **changes: Any) -> SimulationSettings:
    out = copy.copy(settings)
    for k, v in changes.items():
        object.__setattr__(out, k, v)
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _simulation_table(w: dict[str, Any], wo: dict[str, Any], locales: tuple[str, ...]) -> list[str]:
    o = w["overall"]
    ratio = "∞" if o["win_loss"] is None else f"{o['win_loss']:.1f}"
    lines = [
        f"Simulated traffic from MASSIVE dev: {o['requests']:,} requests, {o['turns']:,} turns. Defect reduction on "
        f"recurring goals {_pct(o['defect_reduction'])} %, win/loss {ratio} ({o['wins']} wins, {o['losses']} losses), "
        f"{o['rewrites']} rewrites, precision {_pct(o['rewrite_precision'])} %; the most exact-match rewrites "
        f"could remove: {_pct(o['exact_rewrite_ceiling'])} %; learning from successes at most (goals some user "
        f"reached on an earlier day): {_pct(o.get('learnable_ceiling'))} %",
        "",
        *[_refit_line(r) for r in o.get("retrains", [])],
        *([""] if o.get("retrains") else []),
        "Defect rate of first turns per day (%), with self-learning / without",
        "",
        "| day | active rewrites | with | without | " + " | ".join(locales) + " |",
        "|---:|---:|---:|---:|" + "---:|" * len(locales),
    ]
    for d, d0 in zip(w["per_day"], wo["per_day"]):
        cells = " | ".join(f"{_pct(d['per_locale'][loc])} / {_pct(d0['per_locale'][loc])}" for loc in locales)
        lines.append(f"| {d['day']} | {d['active_rewrites']} | {_pct(d['defect_rate'])} | {_pct(d0['defect_rate'])} | "
                     f"{cells} |")  # fmt: skip
    lines += ["", "| locale | defect rate with | without | reduction on recurring goals | wins | losses | rewrites | "
              "precision |", "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for loc, f in [*w["per_locale"].items(), ("overall", o)]:
        f0 = wo["per_locale"].get(loc, wo["overall"])
        lines.append(f"| {loc} | {_pct(f['defect_rate'])} | {_pct(f0['defect_rate'])} | "
                     f"{_pct(f['defect_reduction'])} | {f['wins']} | {f['losses']} | {f['rewrites']} | "
                     f"{_pct(f['rewrite_precision'])} |")  # fmt: skip
    lines.append("")
    return lines


def _refit_line(r: dict[str, Any]) -> str:
    anchors = f" + {r['anchors']} confirmed successes" if r.get("anchors") else ""
    line = (f"Parser refit after day {r['day']} on {r['examples']} mined examples{anchors} "
            f"({', '.join(r['locales'])}) in {r['seconds']:.0f} s")  # fmt: skip
    if "label_precision" in r:
        labels = r["label_precision"]
        said = r["raters_estimate"]["precision"]
        line += (f"; labels right: mined {labels['mined']['right']}/{labels['mined']['judged']}, paths after <= 2 "
                 f"failures {labels['paths_max_failures_2']['right']}/{labels['paths_max_failures_2']['judged']} "
                 f"(raters said {_pct(said.get('2'))})")  # fmt: skip
    if "replay" in r:
        kept = [loc for loc, c in r["replay"].items() if c["kept"]]
        checks = ", ".join(f"{loc} {c['mended']}/{c['broken']}" for loc, c in r["replay"].items())
        line += f"; replayed on the log (turns mended/broken): {checks}; kept in {len(kept)} of {len(r['replay'])}"
    return line


def _mining_cost(parser: Any, dev: list, base: SimulationSettings, detector: RephraseDetector) -> dict[str, Any]:
    """Label and mine 100k turns: one simulation's log, its users copied under new ids until 100k."""
    with tempfile.TemporaryDirectory(prefix="kiloglot-bench-") as tmp:
        store = Store(f"sqlite:///{tmp}/sim.db")
        Simulation(parser, dev, store, _with(base, learning=False), detector).run()
        log = store.turn_log()
        store.close()
    turns, copy_no = [], 0
    while len(turns) < 100_000:
        for t in log:
            clone = copy.copy(t)
            clone.user_id, clone.id = f"{t.user_id}~{copy_no}", t.id + copy_no * 10_000_000
            turns.append(clone)
        copy_no += 1
    turns = turns[:100_000]
    started = time.perf_counter()
    outcomes = label_turns(turns, detector)
    labelled = time.perf_counter() - started
    mined = mine_rewrites(outcomes, base.mining)
    seconds = time.perf_counter() - started
    return {"turns": len(turns), "seconds": round(seconds, 2), "labelling_seconds": round(labelled, 2),
            "seconds_per_100k_turns": round(seconds * 100_000 / len(turns), 2), "rewrites": len(mined)}  # fmt: skip


def _retrain(parser: Any, train: list, dev: list, base: SimulationSettings, detector: RephraseDetector,
             out: str | None, mined_weight: int = 1, anchors: bool = False) -> dict[str, Any]:  # fmt: skip
    """The offline path (``kiloglot selflearn``): a week of simulated train traffic with rewrites only, then
    the parser trained again on what it mined (with ``base.refit.paths``, also on every reformulation that
    ended well, as ``kiloglot selflearn --paths``; with ``anchors``, on the log's confirmed successes)."""
    with tempfile.TemporaryDirectory(prefix="kiloglot-bench-") as tmp:
        store = Store(f"sqlite:///{tmp}/sim.db")
        sim = Simulation(parser, train, store, _with(base, seed=21 + base.seed, retrain_every=0), detector)
        sim.run()
        outcomes = label_turns(store.turn_log(), detector, store.feedback())
        store.close()
    mined = mine_rewrites(outcomes, base.mining)
    examples, skipped = examples_from_rewrites(mined)
    withdrawn = {(m.locale, m.source) for m in mined if m.status != "active"}
    # path examples at each failure cut (the run's own among them), to check how right their labels are
    failures, calibrated = resolve_path_cut(base.refit.path_max_failures, outcomes, base.refit.path_min_precision)
    added = new_path_examples(examples, outcomes, withdrawn, failures)[0] if base.refit.paths else []
    # the labels of mined and path examples at cuts 1, 2 and every path against the goals, beside what the
    # raters' paths estimate for each cut (``calibrate_path_cut``, as "auto" computed it)
    checked = sim.check_labels(mined, outcomes)
    locales = {e.locale for e in [*examples, *added]}
    successes = [a for a in examples_from_successes(outcomes)[0] if a.locale in locales]
    kept = successes if anchors else []
    outcome = retrain(parser, examples, train, dev, out, skipped=skipped, keep_worse=True, anchors=kept,
                      mined_weight=mined_weight, path_examples=added, path_weight=base.refit.path_weight,
                      scope=base.refit.scope, confirmed=successes)  # fmt: skip
    return {
        **outcome.to_dict(),
        "rewrites": len(mined),
        "anchors": len(kept),
        "mined_weight": mined_weight,
        "path_weight": base.refit.path_weight,
        "from_paths": len(added),
        "label_precision": checked["label_precision"],
        "path_cut": {**checked["raters_estimate"], "used": failures, "auto": calibrated is not None},
        "dev_changes": _dev_changes(parser, outcome.parser, [e for e in dev if e.locale in outcome.locales]),
        "serving_ms": _serving_ms(parser, outcome.parser, [e for e in dev if e.locale in outcome.locales]),
    }


def _serving_ms(original: Any, model: Any, dev: list, sample: int = 400) -> dict[str, Any]:
    """Parse latency a turn (one text a call, as the assistant parses) of the original and the retrained model,
    on ``sample`` dev texts spread over the locales: a scoped model parses a text outside its scope twice."""
    texts = dev[:: max(len(dev) // sample, 1)][:sample]
    out: dict[str, Any] = {"texts": len(texts)}
    for name, m in (("original", original), ("served", model)):
        times = []
        for ex in texts:
            started = time.perf_counter()
            m.parse([ex.text], ex.locale)
            times.append(1000 * (time.perf_counter() - started))
        out[f"{name}_p50"], out[f"{name}_p99"] = (round(float(np.percentile(times, q)), 3) for q in (50, 99))
    return out


def _dev_changes(original: Any, model: Any, dev: list) -> dict[str, dict[str, int]]:
    """How the retrained model (and, scoped, the refit alone) changed the original's dev parses: parses that
    changed, became right, became wrong (intent and every slot value against the gold labels)."""
    models = {"served": model, **({"refit_alone": model.refit} if isinstance(model, ScopedParser) else {})}
    old = original.parse_examples(dev)
    out = {}
    for name, m in models.items():
        counts = {"changed": 0, "became_right": 0, "became_wrong": 0}
        for ex, a, b in zip(dev, old, m.parse_examples(dev), strict=True):
            gold, before, after = example_signature(ex), parse_signature(a), parse_signature(b)
            counts["changed"] += before != after
            counts["became_right"] += before != gold == after
            counts["became_wrong"] += before == gold != after
        out[name] = counts
    return out


if __name__ == "__main__":
    run_timed(main)
