#!/usr/bin/env python3
"""Collect benchmarks/results/*.json into BENCHMARKS.md (numbers come only from those files).

python benchmarks/write_benchmarks_md.py [--train linear_all52] [--speed linear_all52_speed]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from kiloglot.fileio import write_text_atomic

RESULTS = ROOT / "benchmarks" / "results"

TARGETS = {"exact_match": 60.0, "intent_accuracy": 84.0, "slot_micro_f1": 72.0}


def minutes(seconds: float | None) -> str:
    """'12 min', or '-' where the time is unknown (None; NaN in files written before 2026-11-25)."""
    return "-" if seconds is None or seconds != seconds else f"{seconds / 60:.0f} min"


def neural_section() -> list[str]:
    """Rows for every neural run in results/ (train_neural.py), with speed figures where measured."""
    runs = sorted(
        p for p in RESULTS.glob("neural_*.json") if not p.name.endswith(("_dev.json", "_speed.json", "_partial.json"))
    )
    if not runs:
        return []
    out = [
        "## Neural parser (issue 3): runs so far",
        "",
        "Dev partition; `seen` is the mean over the training locales, `unseen` over the other locales (zero-shot).",
        "Latency: one utterance, one thread; throughput: 2 processes. CPU only (no GPU was used).",
        "",
        "| run | encoder | slots | trained on | epochs | train time | dev EM / IA / F1 (seen) | dev EM / IA / F1 (unseen) | size | p50 / p99 ms | utt/s |",
        "|---|---|---|---|---:|---:|---|---|---:|---:|---:|",
    ]
    lin, lin_speed = RESULTS / "linear_all52.json", RESULTS / "linear_all52_speed.json"
    if lin.is_file() and lin_speed.is_file():
        r, sp = json.loads(lin.read_text()), json.loads(lin_speed.read_text())
        m = r["dev_mean"]
        out.append(
            f"| `linear_all52` (for comparison) | linear (per locale) | CRF | all 52 | - | {r['seconds']['read_fit_save'] / 60:.0f} min | "
            f"{100 * m['exact_match']:.1f} / {100 * m['intent_accuracy']:.1f} / {100 * m['slot_micro_f1']:.1f} | "
            f"cannot parse untrained locales | {sp['size_bytes'] / 1e6:.0f} MB | "
            f"{sp['latency_ms']['p50']:.2f} / {sp['latency_ms']['p99']:.2f} | {sp['throughput_per_s']:,.0f} |"
        )
    for path in runs:
        r = json.loads(path.read_text())
        dev = json.loads((RESULTS / f"{path.stem}_dev.json").read_text())
        seen = [dev["per_locale"][l] for l in r["train_locales"] if l in dev["per_locale"]]

        def fmt(xs: list[dict]) -> str:
            if not xs:
                return "-"
            return " / ".join(
                f"{100 * sum(x[k] for x in xs) / len(xs):.1f}"
                for k in ("exact_match", "intent_accuracy", "slot_micro_f1")
            )

        unseen = [v for l, v in dev["per_locale"].items() if l not in r["train_locales"]]
        speed_path = RESULTS / f"{path.stem}_speed.json"
        lat = thr = "-"
        if speed_path.is_file():
            sp = json.loads(speed_path.read_text())
            lat = f"{sp['latency_ms']['p50']:.1f} / {sp['latency_ms']['p99']:.1f}"
            thr = f"{sp['throughput_per_s']:,.0f}"
        trained = "all 52" if len(r["train_locales"]) == 52 else ",".join(r["train_locales"])
        if not r.get("distillation"):
            if r.get("train_examples"):  # unknown for a saved model scored by --model
                trained += f" ({r['train_examples']:,} utt.)"  # subsets (--train-per-locale) show here
        else:  # a student: gold labels of train_locales, the teacher's labels of the rest
            d = r["distillation"]
            trained += (
                f" labels + {d['unlabelled']:,} unlabelled utterances of {len(d['unlabelled_locales'])} locales "
                f"labelled by `{Path(d['teacher']).name}`"
            )
        resolved = r.get("resolved_options", r["options"])
        decoder = resolved.get("slot_decoder", "softmax")  # runs before the CRF: softmax
        alignment = resolved.get("word_alignment") or "first"  # runs before the option: first
        encoder = r["options"]["encoder"].split("/")[-1] + (" (content)" if alignment == "content" else "")
        out.append(
            f"| `{path.stem}` | {encoder} | {decoder} | {trained} | {len(r['epochs'])} | "
            f"{minutes(r['seconds']['read_fit'])} | {fmt(seen)} | {fmt(unseen)} | {r['model_bytes'] / 1e6:.0f} MB | {lat} | {thr} |"
        )
    for path in sorted(RESULTS.glob("ensemble_*.json")):  # full-data ensembles (score_model.py), beside their members
        r = json.loads(path.read_text())
        if r.get("benchmark") != "score_model":
            continue
        m, speed_path = r["dev_mean"], RESULTS / f"{path.stem}_speed.json"
        lat = thr = "-"
        if speed_path.is_file():
            sp = json.loads(speed_path.read_text())
            lat, thr = (
                f"{sp['latency_ms']['p50']:.1f} / {sp['latency_ms']['p99']:.1f}",
                f"{sp['throughput_per_s']:,.0f}",
            )
        out.append(
            f"| `{path.stem}` | ensemble: {' + '.join(r['member_kinds'])} (see Ensemble below) | the linear member's CRF | all 52 | - | members' | "
            f"{100 * m['exact_match']:.1f} / {100 * m['intent_accuracy']:.1f} / {100 * m['slot_micro_f1']:.1f} | - | "
            f"{r['model_bytes'] / 1e6:.0f} MB | {lat} | {thr} |"
        )
    out += [
        "",
        "Commands: the `command` field of each `benchmarks/results/neural_*.json` and `ensemble_*.json`. "
        "An ensemble's training time is its members' (it is built from trained models in seconds). "
        "`(content)`: words read with "
        '`word_alignment=content` (README, "The neural parser"); the other rows used `first`. Runs named `*_content` '
        "score a model trained with `first`, copied with `content` and the same weights "
        "(`benchmarks/realign_model.py`).",
        "",
    ]
    for path in sorted(RESULTS.glob("neural_*_partial.json")):
        r = json.loads(path.read_text())
        ep = "; ".join(
            f"epoch {e['epoch']}: dev EM {e['dev_exact_match_mean_52_locales']:.2f} (mean of 52), {e['seconds'] / 60:.0f} min"
            for e in r.get("epochs", [])
            if "dev_exact_match_mean_52_locales" in e
        )
        if ep:
            out += [
                f"Stopped full-data run `{path.stem}` ({r['options']['encoder']}, {r['trainable_parameters']:,} parameters, "
                f"{r['train_utterances']:,} utterances): {ep}. {r['why_stopped']} Resume: {r['resume']}.",
                "",
            ]
    crf_path, sm_path = RESULTS / "neural_small_enUS_crf.json", RESULTS / "neural_small_enUS_softmax.json"
    if crf_path.is_file() and sm_path.is_file():
        crf, sm = (json.loads(p.read_text()) for p in (crf_path, sm_path))
        c, m = crf["dev_mean_all_eval_locales"], sm["dev_mean_all_eval_locales"]
        d_em, d_f1 = 100 * (c["exact_match"] - m["exact_match"]), 100 * (c["slot_micro_f1"] - m["slot_micro_f1"])
        speeds = [json.loads((RESULTS / f"{p.stem}_speed.json").read_text()) for p in (crf_path, sm_path)]
        lat = [sp["latency_ms"]["p50"] for sp in speeds]
        sp_dates = ", ".join(sorted({sp["date"][:16].replace("T", " ") for sp in speeds}))
        out += [
            "Slot decoding, softmax vs CRF: `neural_small_enUS_softmax` and `neural_small_enUS_crf` are the same small "
            "scratch model (dim 128, 2 layers, vocabulary 8,000), same seed and batches, trained on en-US for 5 epochs; "
            "only the slot decoder differs. Both trained while a full-data job shared the two cores, so their training "
            f"times compare with each other only; speed runs: {sp_dates}. CRF minus softmax: {d_em:+.1f} exact match (standard error "
            f"{100 * c['exact_match_stderr']:.1f}), {d_f1:+.1f} slot F1, {lat[0] / lat[1]:.1f}x the p50 latency.",
            "",
        ]
    return out


def deployment_section() -> list[str]:
    """PyTorch vs ONNX fp32 vs ONNX int8 of the same model (speed_parser.py on each export)."""
    rows = []
    for base in sorted(p.name[: -len("_onnx_speed.json")] for p in RESULTS.glob("*_onnx_speed.json")):
        for suffix, runtime in (("", "PyTorch"), ("_onnx", "ONNX fp32"), ("_int8", "ONNX int8 (dynamic)")):
            path = RESULTS / f"{base}{suffix}_speed.json"
            if path.is_file():
                sp = json.loads(path.read_text())
                rows.append(
                    f"| `{base}` | {runtime} | {sp['latency_ms']['p50']:.2f} / {sp['latency_ms']['p99']:.2f} | "
                    f"{sp['throughput_per_s']:,.0f} | {sp['size_bytes'] / 1e6:.1f} MB | {sp['peak_rss_mb_one_locale']:.0f} MB | {sp['date'][:10]} |"
                )
    if not rows:
        return []
    return [
        "## Deployment runtimes (issue 4)",
        "",
        "`kiloglot export MODEL --out DIR [--int8]`, then `benchmarks/speed_parser.py` on each directory "
        "(one-utterance latency on one thread; throughput with 2 processes).",
        "",
        "| model | runtime | p50 / p99 ms | utt/s | size | peak RSS | date |",
        "|---|---|---:|---:|---:|---:|---|",
        *rows,
        "",
    ]


def batching_section() -> list[str]:
    """Neural parsing batched by length vs one padded batch (batching_speed.py)."""
    out: list[str] = []
    for path in sorted(RESULTS.glob("batching_speed*.json")):
        r = json.loads(path.read_text())
        out += [
            f"## Neural parsing: batches by length (issue 4): `{path.stem}`",
            "",
            f"Utterances/s on one thread, requests of N dev utterances ({r['utterances']:,} of {', '.join(r['locales'])}); "
            f"'one padded batch' is the behaviour before batches had a length bound. {r['machine']['cpu_count']} cores, "
            f"{r['date'][:10]}.",
            "",
            (RESULTS / f"{path.stem}.md").read_text().strip(),
            "",
            f"Command: `{r['command']}`",
            "",
        ]
    return out


def _result_block(title: str, path: Path, r: dict, intro: str) -> list[str]:
    """A section for one result file: its title, what it measured (with cores and date), its table, its command."""
    return [
        f"## {title}",
        "",
        f"{intro} {r['machine']['cpu_count']} cores, {r['date'][:10]}.",
        "",
        (RESULTS / f"{path.stem}.md").read_text().strip(),
        "",
        f"Command: `{r['command']}`",
        "",
    ]


def student_section() -> list[str]:
    """Issue 4: the stages summary (recipe_stages.py), teachers vs students vs linear (student_goals.py), and
    what in-domain pretraining buys."""
    out: list[str] = []
    stages = RESULTS / "recipe_stages.json"
    if stages.is_file():
        out += _result_block(
            "Teacher to production student (issue 4): which stage bought how much",
            stages,
            json.loads(stages.read_text()),
            "Collected from the recorded results named in the last column (no model run here); each "
            "source's command and date are in its file and in its section below.",
        )
    for path in sorted(RESULTS.glob("distill_goals*.json")):
        r = json.loads(path.read_text())
        if r.get("benchmark") != "student_goals":
            continue  # one of its speed runs (speed_parser.py)
        sampled = "--dev-per-locale" in r["command"] and "--dev-per-locale 0" not in r["command"]
        seen = r["seen_locales"]
        setting = (
            "full data: every model here learned from the gold labels of all 52 locales. "
            if len(seen) == 52
            else f"'seen' = {', '.join(seen)} (the only gold labels any of these models had, except the linear full-data "
            f"parser), 'unseen' = the other {52 - len(seen)}. "
        )
        out += [
            f"## Teacher to production student (issue 4): `{path.stem}`",
            "",
            f"One run on one machine ({r['machine']['cpu_count']} cores, {r['date'][:10]}), dev partition "
            f"({r['dev_utterances']:,} utterances over 52 locales"
            f"{', a seeded random sample per locale' if sampled else ', all of it'}); "
            + setting
            + "Latency: one utterance, one thread; throughput: 2 processes; RSS: a fresh process that loaded the model and "
            "parsed dev utterances of all 52 locales.",
            "",
            (RESULTS / f"{path.stem}.md").read_text().strip(),
            "",
            f"Command: `{r['command']}`",
            "",
        ]
    for path in sorted(RESULTS.glob("linear_compaction*.json")):
        r = json.loads(path.read_text())
        out += _result_block(
            f"How small the linear student gets (issue 4): `{path.stem}`",
            path,
            r,
            f"Per locale, trained on gold labels (en-US) or on the teacher's labels (`{r['teacher']}`) of the "
            "cached unlabelled utterances; scored on the full dev partition of the locale; size of the saved "
            "locale folder.",
        )
    for path in sorted(RESULTS.glob("compact_crf*.json")):
        r = json.loads(path.read_text())
        out += _result_block(
            f"The compact CRF against crfsuite's (issue 4): `{path.stem}`",
            path,
            r,
            f"The CRFs of `{r['model']}` decoded by crfsuite and by the int8 `CompactTagger` at fractions of "
            f"the state weights kept; the intent model unchanged; each locale's whole dev partition. {r['note']}.",
        )
    for path in sorted(RESULTS.glob("pretrain_effect*.json")):
        r = json.loads(path.read_text())
        if r.get("benchmark") != "pretrain_effect":
            continue  # one of its fine-tuning runs (train_neural.py)
        out += [
            f"## Stage-2 (in-domain) pretraining (issue 4): `{path.stem}`",
            "",
            (RESULTS / f"{path.stem}.md").read_text().strip(),
            "",
            f"Command: `{r['command']}` ({r['date'][:10]})",
            "",
        ]
    return out


def ensemble_section() -> list[str]:
    """Ensembles scored on dev (score_model.py) and their weight checks (ensemble_weights.py)."""
    out: list[str] = []
    lin, lin_dev = RESULTS / "linear_all52.json", RESULTS / "linear_all52_dev.json"
    linear = (
        (json.loads(lin.read_text())["dev_mean"], json.loads(lin_dev.read_text())["per_locale"])
        if lin.is_file() and lin_dev.is_file()
        else None
    )
    for path in sorted(RESULTS.glob("ensemble_*.json")):
        r = json.loads(path.read_text())
        if r.get("benchmark") != "score_model":
            continue
        m, h = r["dev_mean"], r.get("dev_mean_held_out")
        chosen = h["locales_used_for_choices"] if h else []
        rest = [l for l in r["eval_locales"] if l not in chosen]
        out += [
            f"## Ensemble, full data (issue 3): `{path.stem}`",
            "",
            f"`{r['model_dir']}`: {' + '.join(r['member_kinds'])} members, intent weights "
            f"{', '.join(f'{w:.2f}' for w in r['options']['weights'])}, slots from member {r['options']['slot_member']}; "
            f"{r['model_bytes'] / 1e6:.0f} MB. Dev partition, {len(r['eval_locales'])} locales, "
            f"{r['machine']['cpu_count']} cores, no GPU, {r['date'][:10]}."
            + (
                f" The weights were checked on {len(chosen)} dev locales ({', '.join(chosen)}; below); the last "
                "column leaves them out."
                if chosen
                else ""
            ),
            "",
            "| model | dev EM | IA | slot F1 | EM, locales not used for the weights |",
            "|---|---:|---:|---:|---:|",
        ]
        if linear:
            lm, per = linear
            lin_held = f"{100 * sum(per[l]['exact_match'] for l in rest) / len(rest):.2f}" if chosen and rest else ""
            out.append(
                f"| linear parser alone (`linear_all52`) | {100 * lm['exact_match']:.2f} | {100 * lm['intent_accuracy']:.2f} | "
                f"{100 * lm['slot_micro_f1']:.2f} | {lin_held} |"
            )
        held = f"{100 * h['mean']['exact_match']:.2f} ({h['n_locales']} locales)" if h and h.get("mean") else ""
        out += [
            f"| ensemble | {100 * m['exact_match']:.2f} | {100 * m['intent_accuracy']:.2f} | {100 * m['slot_micro_f1']:.2f} | {held} |",
            "",
            f"Command: `{r['command']}`",
            "",
        ]
        sp_path = RESULTS / f"{path.stem}_speed.json"
        if sp_path.is_file():
            sp = json.loads(sp_path.read_text())
            out += [
                f"Speed (`{sp_path.stem}`, {sp['date'][:10]}): one utterance {sp['latency_ms']['p50']:.2f} ms p50 / "
                f"{sp['latency_ms']['p99']:.2f} ms p99 on one thread, {sp['throughput_per_s']:,.0f} utterances/s with 2 "
                f"processes, {sp['size_bytes'] / 1e6:.0f} MB on disk, {sp['peak_rss_mb_one_locale']:.0f} MB peak RSS "
                f"serving one locale. Command: `{sp['command']}`",
                "",
            ]
    for path in sorted(RESULTS.glob("ensemble_weights*.json")):
        r = json.loads(path.read_text())
        out += [
            f"### Intent weights: `{path.stem}`",
            "",
            f"Members {', '.join(f'`{m}`' for m in r['members'])}; slots from member {r['slot_member']}; dev of "
            f"{', '.join(r['locales'])}; {r['date'][:10]}.",
            "",
            (RESULTS / f"{path.stem}.md").read_text().strip(),
            "",
            f"Command: `{r['command']}`",
            "",
        ]
    return out


def load_section() -> list[str]:
    """Rows for every load run (load_server.py): the API under concurrent clients on loopback."""
    runs = sorted(RESULTS.glob("load_*.json"))
    if not runs:
        return []
    out = [
        "## The HTTP API under load (issue 5)",
        "",
        "`kiloglot serve` in one process (or N worker processes), the clients in another (wrk: one connection per "
        "client), on loopback; both share the machine's cores. Closed loop: each client sends its next request as "
        "soon as the last is answered (no think time). /v1/parse sends one real dev utterance per request; "
        "/v1/converse spreads turns over 50 sessions (SQLite state, one transaction per turn). Target with the "
        "linear parser: zero errors, parse p99 <= 50 ms.",
        "",
        "| run | model | client | workers | endpoint | clients | think ms | requests | req/s | p50 ms | p99 ms | errors | server RSS |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in runs:
        r = json.loads(path.read_text())
        rss = r["server_memory_kb"]["after_load"].get("VmHWM", 0) / 1024
        for run in r["runs"]:
            out.append(
                f"| `{path.stem}` | {Path(r['model']).name} ({len(r['locales'])} locales sent) | {run.get('client', 'aiohttp')} | "
                f"{r.get('server_workers', 1)} | "
                f"{run['endpoint']} | {r['clients']} | {r['think_ms']:.0f} | {run['requests']:,} | {run['throughput_per_s']:,.0f} | "
                f"{run['latency_ms']['p50']:.1f} | {run['latency_ms']['p99']:.1f} | {run['errors']} | {rss:.0f} MB |"
            )
    out += ["", "Commands and dates: the `command` and `date` fields of `benchmarks/results/load_*.json`.", ""]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="linear_all52")
    ap.add_argument("--speed", default="linear_all52_speed")
    args = ap.parse_args()
    train = json.loads((RESULTS / f"{args.train}.json").read_text())
    speed = json.loads((RESULTS / f"{args.speed}.json").read_text())
    dev = json.loads((RESULTS / f"{args.train}_dev.json").read_text())
    m = train["dev_mean"]
    wall = train["seconds"]["read_fit_save"] / 60
    lines = [
        "# Benchmarks",
        "",
        "Every figure below is read from `benchmarks/results/*.json`, written by the scripts in `benchmarks/`.",
        "",
        "## Linear parser, all 52 MASSIVE locales (issue 2)",
        "",
        f"Machine: {train['machine']['cpu_count']} cores, {train['machine']['platform']}, Python {train['machine']['python']}.",
        f"Training run {train['date']}: `{train['command']}`; speed run {speed['date']}: `{speed['command']}`.",
        "",
        "| measure | target | measured | |",
        "|---|---:|---:|---|",
    ]

    def row(name: str, target: str, value: str, ok: bool) -> None:
        lines.append(f"| {name} | {target} | {value} | {'met' if ok else '**missed**'} |")

    row("training wall time, 52 locales (read + fit + save)", "<= 45 min", f"{wall:.1f} min", wall <= 45)
    for key, label in (
        ("exact_match", "dev exact match, mean of 52"),
        ("intent_accuracy", "dev intent accuracy, mean of 52"),
        ("slot_micro_f1", "dev slot F1, mean of 52"),
    ):
        v = 100 * m[key]
        se = 100 * m[key + "_stderr"]
        row(label, f">= {TARGETS[key]:.0f}", f"{v:.2f} ± {se:.2f}", v >= TARGETS[key])
    lat = speed["latency_ms"]
    row("one-utterance parse latency p50, one thread", "<= 2 ms", f"{lat['p50']:.2f} ms", lat["p50"] <= 2)
    row("one-utterance parse latency p99, one thread", "<= 10 ms", f"{lat['p99']:.2f} ms", lat["p99"] <= 10)
    row(
        f"batch throughput, {speed['throughput_workers']} processes",
        ">= 2,000 utt/s",
        f"{speed['throughput_per_s']:,.0f} utt/s",
        speed["throughput_per_s"] >= 2000,
    )
    lines.append(f"| size on disk, 52 locales | reported | {speed['size_bytes'] / 1e6:.0f} MB | |")
    lines.append(
        f"| peak RSS parsing all 52 locales / one locale | reported | "
        f"{speed['peak_rss_mb_all_locales']:.0f} MB / {speed['peak_rss_mb_one_locale']:.0f} MB | |"
    )
    lines += [
        "",
        "Five lowest locales by dev exact match:",
        "",
        "| locale | exact match | intent acc. | slot F1 |",
        "|---|---:|---:|---:|",
    ]
    for loc, s in train["dev_worst5"].items():
        lines.append(
            f"| {loc} | {100 * s['exact_match']:.1f} | {100 * s['intent_accuracy']:.1f} | {100 * s['slot_micro_f1']:.1f} |"
        )
    lines += [
        "",
        "Per locale and grouped by script and family (dev):",
        "",
        (RESULTS / f"{args.train}_dev.md").read_text().strip(),
        "",
        f"Chart: `benchmarks/results/{args.train}_dev.png`.",
        "",
    ]
    del dev
    lines += neural_section()
    lines += deployment_section()
    lines += batching_section()
    lines += ensemble_section()
    lines += student_section()
    lines += load_section()
    write_text_atomic(ROOT / "BENCHMARKS.md", "\n".join(lines))
    print("\n".join(lines[:24]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
