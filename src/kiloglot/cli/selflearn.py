"""``kiloglot selflearn``: learn from the interaction log: mine rewrites, review them, retrain, simulate."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kiloglot.cli.common import DataOpt, DbOpt, err, friendly, out, read_examples, settings
from kiloglot.data import parse_locales
from kiloglot.errors import InputError
from kiloglot.fileio import write_text_atomic

if TYPE_CHECKING:
    from kiloglot.assistant import Store
    from kiloglot.learn.selflearn import MinedRewrite, MiningSettings, RephraseDetector

app = typer.Typer(
    help="Self-learning from users' rephrasings and feedback: retrain (no subcommand), mine, review, simulate.",
    invoke_without_command=True,
    no_args_is_help=False,
)

DetectorOpt = Annotated[
    Path | None, typer.Option("--detector", help="rephrase detector JSON (default: the packaged one)")
]
MinedWeightOpt = Annotated[int, typer.Option("--mined-weight", help="copies of each mined example in the refit data")]
AnchorsOpt = Annotated[
    bool,
    typer.Option("--anchors", help="also refit on the log's confirmed successes (what the parser already gets right)"),
]
PathsOpt = Annotated[
    bool,
    typer.Option("--paths", help="refit on every reformulation that ended well, not only on the mined rewrites"),
]
PathWeightOpt = Annotated[
    int | None,
    typer.Option("--path-weight", help="copies of each path example in the refit data (default: --mined-weight)"),
]
PathFailuresOpt = Annotated[
    str | None,
    typer.Option(
        "--path-max-failures",
        metavar="N|auto",
        help="learn only from paths that succeeded after at most N failed turns; 'auto': the largest N at which "
        "the paths of users who rate turns ended right at least --path-min-precision of the time",
    ),
]
PathPrecisionOpt = Annotated[
    float,
    typer.Option("--path-min-precision", help="with --path-max-failures auto: the share of rated endings right"),
]
RefitScopeOpt = Annotated[
    str,
    typer.Option(
        "--refit-scope",
        metavar="all|taught|phrasing|goal|confirmed|unknown|intent",
        help="which texts the refit answers: all; taught (only the texts it learnt from, the original model the "
        "rest); phrasing (also the taught phrasings said with other slot values); goal (also texts it reads as a "
        "taught goal: the same intent and slot values); confirmed (also texts it reads as a goal the log confirmed "
        "where the original reads none); unknown (also every text the original reads as no goal the log confirmed or "
        "taught); intent (also texts whose intent it reads otherwise than the original model)",
    ),
]
MinSupportOpt = Annotated[int, typer.Option("--min-support", help="distinct users behind a rewrite")]
MaxSourceOpt = Annotated[
    float, typer.Option("--max-source-success", help="rewrite only utterances that work at most this often")
]
MinTargetOpt = Annotated[
    float, typer.Option("--min-target-success", help="rewrite only to utterances that work at least this often")
]


def _store(db: str | None) -> Store:
    from kiloglot.assistant import Store

    return Store(db or settings().database_url())


def _detector(path: Path | None) -> RephraseDetector:
    from kiloglot.learn.selflearn import RephraseDetector, default_detector

    return RephraseDetector.load(path) if path else default_detector()


def _mining(min_support: int, max_source: float, min_target: float) -> MiningSettings:
    from kiloglot.learn.selflearn import MiningSettings

    if min_support < 1 or not 0 <= max_source <= 1 or not 0 <= min_target <= 1:
        raise InputError("mining: expected --min-support >= 1 and success rates between 0 and 1")
    return MiningSettings(min_support=min_support, max_source_success=max_source, min_target_success=min_target)


def mine_from_store(
    store: Store, detector: RephraseDetector, mining: MiningSettings, locales: list[str] | None = None
) -> list[MinedRewrite]:
    """Label the log, mine rewrites, judge those already applied; nothing is written."""
    from kiloglot.learn.selflearn import label_turns, mine_rewrites
    from kiloglot.learn.selflearn.mining import judge_rewrites

    outcomes = label_turns(store.turn_log(locales), detector, store.feedback(locales))
    mined = mine_rewrites(outcomes, mining)
    judge_rewrites(mined, outcomes, {(r.locale, r.source): r.id for r in store.rewrites()}, mining)
    return mined


@app.callback()
@friendly
def selflearn(
    ctx: typer.Context,
    db: DbOpt = None,
    model_dir: Annotated[Path | None, typer.Option("--model", help="the model to train again")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="where the retrained model goes")] = None,
    data: DataOpt = None,
    detector: DetectorOpt = None,
    min_support: MinSupportOpt = 2,
    max_source_success: MaxSourceOpt = 0.5,
    min_target_success: MinTargetOpt = 0.8,
    keep_worse: Annotated[bool, typer.Option("--keep-worse", help="save the model even if dev EM fell")] = False,
    mined_weight: MinedWeightOpt = 1,
    anchors: AnchorsOpt = False,
    paths: PathsOpt = False,
    path_weight: PathWeightOpt = None,
    path_max_failures: PathFailuresOpt = None,
    path_min_precision: PathPrecisionOpt = 0.85,
    refit_scope: RefitScopeOpt = "all",
    report: Annotated[Path | None, typer.Option("--report", help="write the before/after figures (JSON)")] = None,
) -> None:
    """Turn mined rephrase pairs into training examples and train the model again; report MASSIVE dev exact
    match before and after (the model is saved only if it did not fall)."""
    if ctx.invoked_subcommand is not None:
        return
    if model_dir is None or out_dir is None:
        raise InputError("kiloglot selflearn: expected --model DIR and --out DIR (or a subcommand: see --help)")
    from kiloglot.learn.selflearn import label_turns
    from kiloglot.learn.selflearn.retrain import (
        examples_from_rewrites,
        examples_from_successes,
        new_path_examples,
        parse_path_cut,
        resolve_path_cut,
        retrain,
    )
    from kiloglot.learn.selflearn.scope import NEEDS_CONFIRMED, check_scope
    from kiloglot.nlu import load

    if mined_weight < 1 or (path_weight is not None and path_weight < 1):
        raise InputError(f"--mined-weight {mined_weight} / --path-weight {path_weight}: expected 1 or more")
    cut_setting = parse_path_cut(path_max_failures, path_min_precision)
    check_scope(refit_scope, "--refit-scope")
    parser = load(model_dir)
    store = _store(db)
    disabled = {(r.locale, r.source) for r in store.rewrites() if r.status != "active"}
    mined = mine_from_store(store, _detector(detector), _mining(min_support, max_source_success, min_target_success))
    mined = [m for m in mined if (m.locale, m.source) not in disabled and parser.supports(m.locale)]
    examples, skipped = examples_from_rewrites(mined)
    err.print(f"{len(mined)} mined rewrites -> {len(examples)} training examples ({skipped} without every slot)")
    needs_log = paths or anchors or refit_scope in NEEDS_CONFIRMED  # labelling the log costs a pass over it
    outcomes = label_turns(store.turn_log(), _detector(detector), store.feedback()) if needs_log else []
    from_paths, calibrated = [], None
    if paths:  # the failed turns of every reformulation that ended well, but none a person disabled
        most, calibrated = resolve_path_cut(cut_setting, outcomes, path_min_precision)
        if calibrated is not None:
            shares = ", ".join(f"<= {n}: {100 * v:.1f} %" for n, v in calibrated.precision.items())
            err.print(f"path failure cut from the rated paths: {'none' if most is None else most} ({shares})")
        added = new_path_examples(examples, outcomes, disabled, most)[0]
        from_paths = [e for e in added if parser.supports(e.locale)]
        err.print(f"{len(from_paths)} more from the failed turns of reformulations that ended well")
    anchor_examples, successes = [], []
    if (anchors or refit_scope in NEEDS_CONFIRMED) and (examples or from_paths):
        with_examples = {e.locale for e in [*examples, *from_paths]}
        successes = [a for a in examples_from_successes(outcomes)[0] if a.locale in with_examples]
    if anchors and successes:
        anchor_examples = successes
        err.print(f"{len(anchor_examples)} confirmed successes as anchors")
    locales = sorted({e.locale for e in [*examples, *from_paths]})
    massive = read_examples(data, locales, ["train", "dev"], False) if locales else []
    outcome = retrain(
        parser,
        examples,
        [e for e in massive if e.partition == "train"],
        [e for e in massive if e.partition == "dev"],
        out_dir,
        skipped=skipped,
        keep_worse=keep_worse,
        anchors=anchor_examples,
        mined_weight=mined_weight,
        path_examples=from_paths,
        path_weight=path_weight,
        scope=refit_scope,
        original_source=model_dir,
        confirmed=successes,
    )
    figures = outcome.to_dict()
    if calibrated is not None:
        figures["path_cut"] = calibrated.to_dict()
    out.print(f"{'locale':8} {'dev EM before':>14} {'after':>8}")
    for loc in outcome.locales:
        b, a = figures["per_locale_before"].get(loc, 0.0), figures["per_locale_after"].get(loc, 0.0)
        out.print(f"{loc:8} {100 * b:14.2f} {100 * a:8.2f}")
    if "dev_exact_match_unscoped" in figures:
        err.print(f"scoped to {refit_scope}: the refit alone, answering every text, would score "
                  f"{100 * figures['dev_exact_match_unscoped']:.2f}")  # fmt: skip
    out.print(
        f"mean     {100 * outcome.exact_match_before:14.2f} {100 * outcome.exact_match_after:8.2f}  "
        + (f"saved to {outcome.path}" if outcome.kept else "not saved: " + "; ".join(outcome.notes))
    )
    if report:
        write_text_atomic(report, json.dumps(figures, indent=1) + "\n")
    if not outcome.kept:
        raise typer.Exit(1)


@app.command()
@friendly
def mine(
    db: DbOpt = None,
    detector: DetectorOpt = None,
    min_support: MinSupportOpt = 2,
    max_source_success: MaxSourceOpt = 0.5,
    min_target_success: MinTargetOpt = 0.8,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be stored, store nothing")] = False,
) -> None:
    """Mine rewrites from the whole log and store them (the running assistant picks them up)."""
    store = _store(db)
    mined = mine_from_store(store, _detector(detector), _mining(min_support, max_source_success, min_target_success))
    for m in mined:
        meaning = f" as {m.intent}" if m.intent else ""
        out.print(f"{m.locale:6} {m.status:9} {m.support:3} {m.source_success:.2f}->{m.target_success:.2f}  "
                  f"{m.source!r} -> {m.target!r}{meaning}", highlight=False)  # fmt: skip
    if dry_run:
        err.print(f"{len(mined)} rewrites mined (dry run: nothing stored)")
        return
    counts = store.save_mined_rewrites([m.to_dict() for m in mined])
    err.print(f"{len(mined)} rewrites mined: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))


@app.command()
@friendly
def rewrites(
    db: DbOpt = None,
    locale: Annotated[str | None, typer.Option("--locale", help="only this locale")] = None,
    status: Annotated[str | None, typer.Option("--status", help="active, disabled or withdrawn")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line (an export)")] = False,
) -> None:
    """List the stored rewrites with their evidence (``--json``: export them)."""
    for row in _store(db).rewrites(locale, status):
        d = _row(row)
        if as_json:
            out.print_json(json.dumps(d), indent=None)
        else:
            out.print(f"{row.id:5} {row.locale:6} {row.status:9} {row.origin:6} support {row.support:3} "
                      f"{row.source_success:.2f}->{row.target_success:.2f}  {row.source!r} -> {row.target!r}"
                      + (f" as {row.intent}" if row.intent else "")
                      + (f"  ({row.note})" if row.note else ""), highlight=False)  # fmt: skip


def _row(row: Any) -> dict[str, Any]:
    keys = ("id", "locale", "source", "target", "intent", "status", "origin", "support", "source_success",
            "target_success")  # fmt: skip
    return {**{k: getattr(row, k) for k in keys}, "score": row.score, "evidence": row.evidence, "note": row.note}


@app.command()
@friendly
def disable(
    rewrite_id: Annotated[int, typer.Argument(help="the rewrite's id (see `kiloglot selflearn rewrites`)")],
    note: Annotated[str, typer.Option("--note", help="why (kept with the rewrite)")] = "",
    db: DbOpt = None,
) -> None:
    """Stop applying one rewrite; mining will not bring it back."""
    row = _store(db).set_rewrite_status(rewrite_id, "disabled", note or "disabled by review")
    err.print(f"rewrite {row.id} ({row.locale}: {row.source!r}) disabled")


@app.command()
@friendly
def enable(
    rewrite_id: Annotated[int, typer.Argument(help="the rewrite's id")],
    db: DbOpt = None,
) -> None:
    """Apply a disabled rewrite again."""
    row = _store(db).set_rewrite_status(rewrite_id, "active", "enabled by review")
    err.print(f"rewrite {row.id} ({row.locale}: {row.source!r}) active")


@app.command("add")
@friendly
def add(
    locale: Annotated[str, typer.Option("--locale", help="the locale it applies to")],
    source: Annotated[str, typer.Option("--from", help="what users say")],
    target: Annotated[str | None, typer.Option("--to", help="what to parse instead (default: the text itself)")] = None,
    intent: Annotated[str | None, typer.Option("--intent", help="the intent the parse is given")] = None,
    note: Annotated[str, typer.Option("--note", help="why")] = "",
    db: DbOpt = None,
) -> None:
    """Add a rewrite by hand (it takes the place of a mined one for the same text): another text to parse
    (``--to``), a meaning (``--intent``), or both."""
    from kiloglot.assistant.rewriter import normalize_utterance
    from kiloglot.data import locale_info

    key = normalize_utterance(source)
    if not key or (not (target or "").strip() and not intent):
        raise InputError("rewrite: expected a non-empty --from, and --to or --intent")
    if intent is not None and not re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", intent):
        raise InputError(f"rewrite --intent {intent!r}: expected an intent name such as alarm_set")
    rid = _store(db).add_rewrite(locale_info(locale).locale, key, (target or source).strip(), note, intent)
    err.print(f"rewrite {rid} added")


@app.command("forget-user")
@friendly
def forget_user(
    user_id: Annotated[str, typer.Argument(help="the user id turns were logged under")],
    db: DbOpt = None,
) -> None:
    """Delete a user's sessions, turns and feedback: their evidence is gone from every later mining run."""
    n = _store(db).forget_user(user_id)
    err.print(f"user {user_id!r}: {n} session(s) deleted")


@app.command()
@friendly
def simulate(
    model_dir: Annotated[Path, typer.Argument(help="model directory")],
    partition: Annotated[str, typer.Option("--partition", help="MASSIVE partition goals come from")] = "dev",
    locales: Annotated[
        str, typer.Option("--locales", help="comma-separated locales")
    ] = "en-US,de-DE,es-ES,ja-JP,zh-CN,ar-SA,hi-IN,sw-KE",
    users: Annotated[int, typer.Option("--users", help="simulated users (spread over the locales)")] = 400,
    days: Annotated[int, typer.Option("--days", help="simulated days")] = 7,
    requests: Annotated[int, typer.Option("--requests", help="requests per user and day")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL of an empty database (default: a new SQLite file)")
    ] = None,
    no_learning: Annotated[bool, typer.Option("--no-learning", help="never mine: the baseline")] = False,
    near: Annotated[bool, typer.Option("--near", help="let the rewriter match near texts too")] = False,
    retrain_every: Annotated[
        int,
        typer.Option(
            "--retrain-every",
            help="refit the (linear) parser on its MASSIVE train data plus the mined pairs every N days (0: never)",
        ),
    ] = 0,
    mined_weight: MinedWeightOpt = 1,
    anchors: AnchorsOpt = False,
    replay_gate: Annotated[
        float | None,
        typer.Option(
            "--replay-gate",
            help="keep a locale's refit only when, replayed on the log, the turns it mends outnumber those it "
            "breaks by this factor",
        ),
    ] = None,
    paths: PathsOpt = False,
    path_weight: PathWeightOpt = None,
    path_max_failures: PathFailuresOpt = None,
    path_min_precision: PathPrecisionOpt = 0.85,
    refit_scope: RefitScopeOpt = "all",
    corrections: Annotated[
        float,
        typer.Option(
            "--corrections",
            help="share of the rating users' bad ratings that also name the intent they meant (0-1)",
        ),
    ] = 0.0,
    detector: DetectorOpt = None,
    min_support: MinSupportOpt = 2,
    max_source_success: MaxSourceOpt = 0.5,
    min_target_success: MinTargetOpt = 0.8,
    data: DataOpt = None,
    report: Annotated[Path | None, typer.Option("--report", help="write the figures here (JSON)")] = None,
) -> None:
    """Simulated users talk to the assistant for days; self-learning runs between days. Prints the per-day
    and per-locale defect rates, the defect reduction on recurring goals, and the rewriter's wins/losses."""
    from kiloglot.learn.selflearn.retrain import RefitSettings, parse_path_cut
    from kiloglot.learn.selflearn.scope import check_scope
    from kiloglot.learn.selflearn.simulate import Simulation, SimulationSettings
    from kiloglot.nlu import load

    if mined_weight < 1 or (path_weight is not None and path_weight < 1):
        raise InputError(f"--mined-weight {mined_weight} / --path-weight {path_weight}: expected 1 or more")
    if replay_gate is not None and replay_gate < 0:
        raise InputError(f"--replay-gate {replay_gate}: expected 0 or more")
    cut_setting = parse_path_cut(path_max_failures, path_min_precision)
    if partition not in ("train", "dev", "test"):
        raise InputError(f"partition {partition!r}: expected train, dev or test")
    if not 0 <= corrections <= 1:
        raise InputError(f"--corrections {corrections}: expected a share between 0 and 1")
    check_scope(refit_scope, "--refit-scope")
    chosen = parse_locales(locales)
    parser = load(model_dir)
    parts = [partition] if not retrain_every or partition == "train" else [partition, "train"]
    read = read_examples(data, list(chosen), parts, False)
    examples = [e for e in read if e.partition == partition]
    training = [e for e in read if e.partition == "train"] if retrain_every else []
    sim_settings = SimulationSettings(
        locales=tuple(chosen),
        users=users,
        days=days,
        requests_per_day=requests,
        seed=seed,
        learning=not no_learning,
        near=near,
        corrections=corrections,
        retrain_every=retrain_every,
        refit=RefitSettings(
            mined_weight, anchors, replay_gate, paths, path_weight, cut_setting, path_min_precision, refit_scope
        ),
        mining=_mining(min_support, max_source_success, min_target_success),
    )
    with tempfile.TemporaryDirectory(prefix="kiloglot-sim-") as tmp:
        store = _store(db or f"sqlite:///{tmp}/simulation.db")
        if db and store.count_turns():
            raise InputError(f"database {store.describe()}: holds turns already; expected an empty one")
        result = Simulation(parser, examples, store, sim_settings, _detector(detector), training=training).run()
        store.close()
    figures = result.report()
    print_simulation(figures)
    if report:
        write_text_atomic(report, json.dumps(figures, indent=1) + "\n")
        err.print(f"wrote {report}")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def print_simulation(figures: dict[str, Any]) -> None:
    locales = figures["settings"]["locales"]
    out.print("defect rate of first turns per day (%), with self-learning / without")
    out.print(f"{'day':>4} {'rewrites':>8} {'with':>6} {'without':>8}  " + " ".join(f"{loc:>6}" for loc in locales))
    for d in figures["per_day"]:
        cells = " ".join(f"{_pct(d['per_locale'][loc]):>6}" for loc in locales)
        out.print(f"{d['day']:>4} {d['active_rewrites']:>8} {_pct(d['defect_rate']):>6} "
                  f"{_pct(d['defect_rate_without_learning']):>8}  {cells}")  # fmt: skip
    out.print(f"\n{'locale':8} {'defects':>8} {'without':>8} {'reduction':>10} {'wins':>5} {'losses':>6} "
              f"{'rewrites':>8} {'precision':>9}")  # fmt: skip
    for loc, f in [*figures["per_locale"].items(), ("overall", figures["overall"])]:
        out.print(f"{loc:8} {_pct(f['defect_rate']):>8} {_pct(f['defect_rate_without_learning']):>8} "
                  f"{_pct(f['defect_reduction']):>10} {f['wins']:>5} {f['losses']:>6} {f['rewrites']:>8} "
                  f"{_pct(f['rewrite_precision']):>9}")  # fmt: skip
    o = figures["overall"]
    for r in o.get("retrains", []):
        kept = "" if r.get("applied", True) else " (not applied: the replay check failed in every locale)"
        extra = f" and {r['anchors']} anchors" if r.get("anchors") else ""
        took = f"in {r['seconds']:.0f} s{kept}"
        out.print(f"parser refit after day {r['day']} on {r['examples']} mined examples{extra} {took}")
        for loc, c in r.get("replay", {}).items():
            out.print(f"  replayed {loc}: {c['mended']} turns mended, {c['broken']} broken, "
                      + ("kept" if c["kept"] else "refit dropped"))  # fmt: skip
    changes = o.get("changes", {})
    if any(k != "rewrite" for k in {c.rsplit("_", 1)[0] for c in changes}):
        causes = ("rewrite", "taught", "logged", "new")
        out.print("wins/losses by cause: " + ", ".join(
            f"{c} {changes.get(c + '_wins', 0)}/{changes.get(c + '_losses', 0)}" for c in causes))  # fmt: skip
    ratio = "no losses" if o["win_loss"] is None else f"{o['win_loss']:.1f}"
    out.print(f"\ndefect reduction on recurring goals {_pct(o['defect_reduction'])} %, win/loss {ratio} "
              f"({o['wins']} wins, {o['losses']} losses), {o['rewrites']} rewrites; exact-match rewrites could "
              f"remove at most {_pct(o['exact_rewrite_ceiling'])} %")  # fmt: skip
