#!/usr/bin/env python3
"""Write BENCHMARKS.md by topic from benchmarks/results/*.json (every figure comes from a named file).

    python -m benchmarks write_benchmarks_md

Topics: accuracy on MASSIVE dev (full data, then zero-shot), speed and size, deployment runtimes,
distillation (which recipe stage bought how much), serving load, reading values, unspaced input, voice
and language identification. Each
row names the result file it comes from; each file holds the command, machine and date of its run. How the
figures were reached (and the runs that led nowhere) is told in docs/experiments.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from results_io import RESULTS, ROOT

from kiloglot.fileio import write_text_atomic

# (label, result file, trained on) -- full-data models, best first in the table's order
FULL_DATA = [
    ("linear parser (the default)", "linear_all52", "all 52 locales"),
    ("linear parser, compact (intent density 0.05, int8 CRF)", "linear_compact_d05", "all 52 locales"),
    ("me5-small fine-tuned, 1 epoch, 5,000 utterances per locale", "neural_me5_full_5k_e1_ct", "all 52 locales"),
    ("ensemble: linear + me5-small", "ensemble_linear_me5full", "all 52 locales"),
    ("ensemble: linear + me5-small as ONNX int8", "ensemble_linear_me5full_int8", "all 52 locales"),
]
# zero-shot: labels of en-US only, scored on the 51 other locales
ZERO_SHOT = [
    ("scratch transformer (d256 x 4)", "neural_scratch_zeroshot", "en-US labels"),
    ("me5-small fine-tuned on en-US", "neural_me5_zeroshot_crf_fl6_content", "en-US labels"),
    (
        "me5-small, 3 rounds of self-training",
        "neural_me5_selftrained3_zeroshot",
        "en-US labels + unlabelled text of the 51 others",
    ),
]
# (label, speed file): one utterance on one thread; throughput with one process per core
SPEED = [
    ("linear parser, 52 locales", "linear_all52_compressed_speed"),
    ("linear parser, compact", "distill_goals_full_data_ensemble_linear-compact_speed"),
    ("compact linear student (zero-shot, round-3 teacher)", "distill_goals_self3_student-linear-compact_speed"),
    ("neural student d128 x 2, ONNX int8", "distill_goals_self3_d128_student-d128l2-int8_speed"),
    ("me5-small (PyTorch)", "neural_me5_full_5k_e1_ct_speed"),
    ("ensemble linear + me5-small (PyTorch)", "ensemble_linear_me5full_speed"),
    ("ensemble linear + me5-small (ONNX int8)", "ensemble_linear_me5full_int8_speed"),
]
NOTES = {
    "neural_me5_full_5k_e1_ct_speed": "timed on 2026-12-02, a day this machine ran this architecture about half as "
    "fast as on 2026-11-25, when the same architecture (round-3 self-trained me5) took 21.69 ms p50 "
    "(`neural_me5_selftrained3_zeroshot_speed`)",
}
PAPER = (
    "For scale, the MASSIVE paper reports XLM-R base at 63.7 exact match on the test partition trained on "
    "all locales and 38.7 trained on en-US only (its figures, on test; ours are on dev)."
)


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def dev_means(r: dict[str, Any]) -> tuple[dict[str, float], dict[str, float] | None]:
    """(mean over every evaluated locale, mean over the locales without labels or None), whichever script
    wrote the file."""
    if "dev_mean_all_eval_locales" in r:  # train_neural.py
        return r["dev_mean_all_eval_locales"], r.get("dev_mean_unseen_locales")
    return r["dev_mean"], None  # train_linear.py, score_model.py


def pct(x: float) -> str:
    return f"{100 * x:.2f}"


def source(name: str) -> str:
    return f"[`{name}`](benchmarks/results/{name}.json)"


def accuracy() -> list[str]:
    out = [
        "## Accuracy on MASSIVE dev",
        "",
        "Exact match (intent and every slot label right), intent accuracy and slot micro-F1 as the MASSIVE "
        "paper computes them, averaged over locales; per-locale tables with standard errors are in each "
        "source's `_dev.md`.",
        "",
        "### Trained on all 52 locales",
        "",
        "| model | dev EM | IA | slot F1 | source |",
        "|---|---:|---:|---:|---|",
    ]
    for label, name, _ in FULL_DATA:
        r = load(name)
        if r is None:
            continue
        m, _ = dev_means(r)
        out.append(
            f"| {label} | {pct(m['exact_match'])} | {pct(m['intent_accuracy'])} | {pct(m['slot_micro_f1'])} | "
            f"{source(name)} |"
        )
    out += [
        "",
        "### Zero-shot: labels of en-US only, scored on the other 51 locales",
        "",
        "| model | trained on | EM, 51 unseen locales | EM, en-US | source |",
        "|---|---|---:|---:|---|",
    ]
    for label, name, trained in ZERO_SHOT:
        r = load(name)
        dev = load(f"{name}_dev")
        if r is None or dev is None:
            continue
        _, unseen = dev_means(r)
        en = dev["per_locale"].get("en-US", {}).get("exact_match")
        out.append(
            f"| {label} | {trained} | {pct(unseen['exact_match']) if unseen else '-'} | "
            f"{pct(en) if en is not None else '-'} | {source(name)} |"
        )
    worst = load("linear_all52")
    out += ["", PAPER, ""]
    if worst:
        out += [
            "The linear parser's five lowest locales (all 52 in "
            "[`linear_all52_dev.md`](benchmarks/results/linear_all52_dev.md), by script and family too):",
            "",
            "| locale | EM | IA | slot F1 |",
            "|---|---:|---:|---:|",
            *(
                f"| {loc} | {pct(s['exact_match'])} | {pct(s['intent_accuracy'])} | {pct(s['slot_micro_f1'])} |"
                for loc, s in worst["dev_worst5"].items()
            ),
            "",
            f"Training it takes {worst['seconds']['read_fit_save'] / 60:.0f} min on {worst['machine']['cpu_count']} "
            f"cores (read, fit and save; {source('linear_all52')}).",
            "",
        ]
    return out


def speed() -> list[str]:
    out = [
        "## Speed and size",
        "",
        "Latency: one utterance per call, one thread, after each locale was loaded once. Throughput: one "
        "process per core (2 here) over the same dev utterances. Peak RSS: a fresh process that loaded the "
        "model and parsed one locale, or every locale it knows (what a server holds). Sizes are on disk.",
        "",
        "| model | p50 ms | p99 ms | utterances/s | size | peak RSS, one / all locales | source |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    notes = []
    for label, name in SPEED:
        s = load(name)
        if s is None:
            continue
        if name in NOTES:
            notes.append(f"{len(notes) + 1}. {label}: {NOTES[name]}.")
            label += f" ({len(notes)})"
        lat = s["latency_ms"]
        serving = s.get("peak_rss_mb_serving_all_locales")
        rss = (
            f"{s['peak_rss_mb_one_locale']:.0f} / {serving:.0f} MB"
            if serving
            else f"{s['peak_rss_mb_one_locale']:.0f} MB / -"
        )
        out.append(
            f"| {label} | {lat['p50']:.2f} | {lat['p99']:.2f} | {s['throughput_per_s']:,.0f} | "
            f"{s['size_bytes'] / 1e6:.1f} MB | {rss} | {source(name)} |"
        )
    return [*out, "", *notes, ""] if notes else [*out, ""]


def deployment() -> list[str]:
    """PyTorch vs ONNX fp32 vs ONNX int8 of the same model, and batching by length."""
    rows = []
    for base in sorted(p.name[: -len("_onnx_speed.json")] for p in RESULTS.glob("*_onnx_speed.json")):
        for suffix, runtime in (("", "PyTorch"), ("_onnx", "ONNX fp32"), ("_int8", "ONNX int8 (dynamic)")):
            s = load(f"{base}{suffix}_speed")
            if s is not None:
                rows.append(
                    f"| `{base}` | {runtime} | {s['latency_ms']['p50']:.2f} / {s['latency_ms']['p99']:.2f} | "
                    f"{s['throughput_per_s']:,.0f} | {s['size_bytes'] / 1e6:.1f} MB | "
                    f"{s['peak_rss_mb_one_locale']:.0f} MB | {source(f'{base}{suffix}_speed')} |"
                )
    out = [
        "## Deployment runtimes",
        "",
        "`kiloglot export MODEL --out DIR [--int8]` and the same model measured in each runtime; serving an ONNX "
        "model needs neither PyTorch nor transformers.",
        "",
        "| model | runtime | p50 / p99 ms | utterances/s | size | peak RSS | source |",
        "|---|---|---:|---:|---:|---:|---|",
        *rows,
        "",
    ]
    batching = load("batching_speed")
    if batching:
        out += [
            "Neural models parse a request in batches of similar length; the speed-up over one padded batch, "
            f"one thread ({source('batching_speed')}):",
            "",
            (RESULTS / "batching_speed.md").read_text(encoding="utf-8").strip(),
            "",
        ]
    return out


def distillation() -> list[str]:
    stages = load("recipe_stages")
    if stages is None:
        return []
    return [
        "## Distillation: from a big teacher to a small production student",
        "",
        "Which stage of the recipe (pretrained encoder, word alignment, stage-2 pretraining, self-training, "
        "distillation into a small student) bought how much, collected from the result files in the last column "
        f"({source('recipe_stages')}):",
        "",
        (RESULTS / "recipe_stages.md").read_text(encoding="utf-8").strip(),
        "",
    ]


def serving() -> list[str]:
    runs = sorted(RESULTS.glob("load_*.json"))
    if not runs:
        return []
    out = [
        "## Serving load",
        "",
        "`kiloglot serve` (N worker processes) and the clients (closed loop, one connection each, no think time; "
        "wrk or aiohttp) share the 2 cores on loopback. `/v1/parse`: one dev utterance per request; "
        "`/v1/converse`: turns spread over 50 sessions, one transaction per turn, serialised per session across "
        "workers. Lost writes: after the run, every session's turns must be numbered 1..n with its state at n, "
        "and no answered turn missing from the log.",
        "",
        "| model | workers | database | client | endpoint | clients | req/s | p50 ms | p99 ms | errors "
        "| lost writes | server RSS | source |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for path in runs:
        r = json.loads(path.read_text(encoding="utf-8"))
        rss = r["server_memory_kb"]["after_load"].get("VmHWM", 0) / 1024
        writes = r.get("writes")
        for run in r["runs"]:
            lost = "-"
            if writes and run["endpoint"] == "/v1/converse":
                lost = str(writes["lost_writes"] + writes["sessions_with_lost_or_repeated_turns"])
            out.append(
                f"| {Path(r['model']).name} | {r.get('server_workers', 1)} | {r.get('database', 'sqlite')} | "
                f"{run.get('client', r.get('client', 'wrk'))} | {run['endpoint']} | {r['clients']} | "
                f"{run['throughput_per_s']:,.0f} | {run['latency_ms']['p50']:.1f} | {run['latency_ms']['p99']:.1f} | "
                f"{run['errors']} | {lost} | {rss:.0f} MB | {source(path.stem)} |"
            )
    return [*out, ""]


def assistant_values() -> list[str]:
    r = load("values_agreement")
    if r is None:
        return []
    out = [
        "## Reading times, dates and durations",
        "",
        "MASSIVE translates each English utterance into every locale: the time slots of the alarm and calendar "
        "intents are read in each reply locale and compared with the reading of the English original (the same "
        'clock time, moment from now or length). English is the reference; a translator\'s own choice ("3 pm" '
        f'written "three o\'clock") counts as a miss. Mean agreement of the 11 other locales: '
        f"**{r['mean_agreement']:.1f} %**, {r['ms_per_reading']:.2f} ms a reading.",
        "",
        "| locale | pairs | agrees with English % | source |",
        "|---|---:|---:|---|",
    ]
    for locale, row in r["locales"].items():
        out.append(f"| {locale} | {row['pairs']} | {row['agreement']:.1f} | {source('values_agreement')} |")
    return [*out, ""]


def unspaced() -> list[str]:
    rows = [(name, load(name)) for name in ("unspaced_input", "unspaced_input_copies", "unspaced_input_my_copies")]
    rows = [(n, r) for n, r in rows if r is not None]
    if not rows:
        return []
    out = [
        "## Thai, Khmer and Burmese typed without spaces",
        "",
        "MASSIVE dev utterances with the spaces between non-Latin characters removed, parsed as one piece (as "
        "before) or cut into words by the language's segmenter; exact match / slot F1 on (name, value). "
        '"copies": the model also trained on unspaced copies (`-o unspaced_copies=true`).',
        "",
        "| model | locale | as written | unspaced, one piece | unspaced, cut into words | kiloglot reads it | source |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for name, r in rows:
        label = "linear" + (", copies" if name.endswith("copies") else "")
        label += " (Burmese syllable copies)" if "_my_" in name else ""
        for locale, row in r["locales"].items():
            cells = [row[k] for k in ("as_written", "unspaced_one_piece", "unspaced_segmented")]
            shown = " | ".join(f"{c['exact_match']:.1f} / {c['slot_f1']:.1f}" for c in cells)
            out.append(f"| {label} | {locale} | {shown} | {row['kiloglot_reads_unspaced_as']} | {source(name)} |")
    return [*out, ""]


SPEECH_NOTE = """
The first {n} dev utterances of each locale with a voice, spoken by espeak-ng (en-US: the packaged Piper
voice), heard by Whisper base (int8, greedy; measured before failed decodes were retried), written as
MASSIVE writes, parsed by `{model}`. Exact match compares the intent and the (slot,
value) set, for text and speech alike. Synthetic speech is kinder than people are (no noise, no accent, no
hesitation), but espeak-ng's robotic voices are harder for Whisper than natural speech: WER is far above
what Whisper base reaches on people in the high-resource languages. Mean EM text **{text_exact_match:.1f}**,
speech **{speech_exact_match:.1f}** (without normalising the transcript: {speech_unnormalised_exact_match:.1f});
intent accuracy {text_intent_accuracy:.1f} -> {speech_intent_accuracy:.1f}; spoken LID
{spoken_lid_accuracy:.1f} % ({source}).
"""


def voice() -> list[str]:
    out: list[str] = []
    lid = load("langid_dev")
    if lid is not None:
        ngram, packaged = lid["identifiers"]
        out += [
            "## Language identification (text)",
            "",
            f"Each MASSIVE dev utterance ({lid['dev_utterances']:,}, {len(lid['locales'])} locales) named among all "
            f"52 locales. The n-gram identifier is what `kiloglot train` saves in a model (hashed character "
            f"1-{lid['ngram_settings']['ngram_max']}-grams, naive Bayes, trained on MASSIVE train in "
            f"{lid['ngram_fit_seconds']:.0f} s); py3langid is the packaged fallback (it has one Chinese, so zh-TW "
            f"is named zh-CN). Mean accuracy: n-gram **{ngram['mean_accuracy']:.2f} %**, py3langid "
            f"{packaged['mean_accuracy']:.2f} %; {ngram['ms_per_text']:.3f} and {packaged['ms_per_text']:.3f} ms a "
            f"text ({source('langid_dev')}).",
            "",
            "| confusable pair (gold -> named) | n-gram | py3langid |",
            "|---|---:|---:|",
            *(
                f"| {pair} | {n} | {packaged['pairs'][pair]} |"
                for pair, n in ngram["pairs"].items()
                if n or packaged["pairs"][pair]
            ),
            "",
            "Locales under 97 % with the n-gram identifier: "
            + (", ".join(f"{loc} {acc:.1f}" for loc, acc in ngram["per_locale"].items() if acc < 97) or "none")
            + ".",
            "",
        ]
    loop = load("spoken_loop")
    if loop is not None:
        summary = loop["summary"]
        out += [
            "## Speech: how much understanding survives",
            "",
            " ".join(
                SPEECH_NOTE.format(
                    n=loop["per_locale_utterances"], model=loop["model"], source=source("spoken_loop"), **summary
                ).split()
            ),
            "",
            "| locale | WER / CER | EM text | EM speech | EM speech, raw transcript | speech / text | spoken LID % |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for locale, row in loop["locales"].items():
            measure = "wer" if "wer" in row else "cer"
            ratio = row["speech_to_text_em"]
            out.append(
                f"| {locale} | {measure.upper()} {row[measure]:.1f} | {row['text']['exact_match']:.1f} | "
                f"{row['speech']['exact_match']:.1f} | {row['speech_unnormalised']['exact_match']:.1f} | "
                f"{'' if ratio is None else f'{ratio:.2f}'} | {row['spoken_lid_accuracy']:.0f} |"
            )
        good = summary.get("locales_under_20_error", [])
        out += [
            "",
            f"Locales where the recogniser's error rate is under 20 %: {', '.join(good) or 'none'}"
            + (
                f"; there speech keeps {summary['under_20_speech_to_text_em']:.2f} of text EM in this one pass"
                + _passes_note()
                + "."
                if good
                else "."
            )
            + " Anchor: Speech-MASSIVE (Interspeech 2024), Whisper-large-v3 then mT5-base on people's speech, keeps "
            "55.7 of 68.0 EM (0.82).",
            "",
        ]
    latency = load("voice_latency")
    if latency is not None:
        out += [
            "## One spoken turn on one thread",
            "",
            f"A {latency['request_seconds']:.1f}-second request through the whole pipeline (decode, Whisper base int8 "
            "on 1 thread, the linear parser, the assistant and its SQLite store, espeak-ng for the reply), "
            f"{latency['repeats']} turns ({source('voice_latency')}).",
            "",
            "| turn p50 | turn p95 | ASR p50 | ASR real-time factor | TTS real-time factor | peak RSS |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {latency['turn_p50_s']:.2f} s | {latency['turn_p95_s']:.2f} s | {latency['asr_p50_s']:.2f} s | "
            f"{latency['asr_real_time_factor']:.2f} | {latency['tts_real_time_factor']:.3f} | "
            f"{latency['peak_rss_mb']} MB |",
            "",
        ]
    voices = [
        (name, load(name)) for name in ("spoken_loop_en_espeak", "spoken_loop_en_piper", "spoken_loop_en_piper_more")
    ]
    if all(r is not None for _, r in voices[:2]):
        out += ["**Which voice speaks matters**: the same en-US dev utterances (the first by id, unless said) spoken "
                "by each voice, transcribed by the packaged Whisper base, parsed by the same linear model. Piper "
                "samples its voice, so each pass over the utterances hears other audio: speech figures are over all "
                "passes, with the lowest and highest pass.", "",
                "| voice | dev utterances x passes | WER | EM text | EM speech (passes) | speech / text | "
                "spoken LID % |",
                "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        for name, r in voices:
            if r is None:
                continue
            row = r["locales"]["en-US"]
            ratio = row["speech_to_text_em"]
            passes = row.get("speech_exact_match_per_pass", [])
            spread = f" ({min(passes):.0f}-{max(passes):.0f})" if len(passes) > 1 else ""
            first = r.get("skipped", 0) + 1
            out.append(f"| {row.get('voice', r['tts'])} ({source(name)}) | {first}-{first + row['utterances'] - 1} x "
                       f"{r.get('repeats', 1)} | {row['wer']:.1f} | {row['text']['exact_match']:.1f} | "
                       f"{row['speech']['exact_match']:.1f}{spread} | {'' if ratio is None else f'{ratio:.2f}'} | "
                       f"{row['spoken_lid_accuracy']:.0f} |")  # fmt: skip
        out.append("")
    piper = load("voice_latency_piper")
    if piper is not None:
        out += [f"With the Piper en-US voice speaking both the request and the reply on one thread "
                f"({source('voice_latency_piper')}): turn p50 {piper['turn_p50_s']:.2f} s, p95 "
                f"{piper['turn_p95_s']:.2f} s, TTS real-time factor {piper['tts_real_time_factor']:.3f} "
                f"({piper['tts_p50_s_in_turn']:.2f} s of each turn), peak RSS {piper['peak_rss_mb']} MB; "
                f"Whisper heard \"{piper['heard']}\".", ""]  # fmt: skip
    robust = load("spoken_loop_asr_noise")
    if robust is not None:
        r = robust["summary"]
        out += [
            f"**ASR-robust training** ({source('spoken_loop_asr_noise')}): the parser of en-US, de-DE, es-ES and "
            f"fr-FR trained again with one copy of every training utterance carrying simulated recognition errors "
            f"(`kiloglot train --asr-noise 0.1`), both parsers reading the same 100 transcripts: EM speech "
            f"{r['speech_exact_match']:.1f} -> {r['compare_speech_exact_match']:.1f}, EM text "
            f"{r['text_exact_match']:.1f} -> {r['compare_text_exact_match']:.1f}.",
            "",
        ]
    return out


def _passes_note() -> str:
    """The five-pass en-US measurement, where one exists: one pass of a sampled voice is one sample."""
    run = load("spoken_loop_en_piper")
    if run is None or run.get("repeats", 1) < 2:
        return ""
    row = run["locales"]["en-US"]
    passes = row["speech_exact_match_per_pass"]
    return (
        f" (Piper samples its voice; the en-US utterances spoken {run['repeats']} times: "
        f"{row['speech_to_text_em']:.2f}, passes {min(passes):.0f}-{max(passes):.0f} of "
        f"{row['text']['exact_match']:.0f}, below)"
    )


def lexicon_summary() -> list[str]:
    t = load("lexicon_table")
    if t is None:
        return []
    s = t["summary"]

    def cell(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    out = [
        f"**All {s['locales']} locales side by side** ({source('lexicon_table')}): mean EM zero-shot baseline "
        f"{cell(s['mean_baseline'])}, lexicon linear {cell(s['mean_lexicon_linear'])}, lexicon neural "
        f"{cell(s['mean_lexicon_neural'])}; the best lexicon model beats the baseline in "
        f"{s['gains_over_baseline_best']} of {s['locales']}"
        + "".join(
            f"; {source(name)} {v['mean']:.2f}, above the baseline in {v['gains_over_baseline']}"
            for name, v in s.get("neural_runs", {}).items()
        )
        + f". The compact student (intent weights pruned to "
        f"{s['student_intent_density']:g}, CRF as int8 weights) keeps {100 * s['student_share_of_teacher']:.1f} % "
        f"of its teacher's EM ({cell(s['mean_student'])}) in {s['student_bytes'] / 1e6:.0f} MB instead of "
        f"{s['teacher_bytes'] / 1e6:.0f} MB. UniMorph forms, where UniMorph has the language: "
        + ", ".join(f"{loc} {v['lexicon']:.1f} -> {v['unimorph']:.1f}" for loc, v in s["unimorph_locales"].items())
        + ".",
        "",
        "| locale | lexicon pairs | coverage % | zero-shot baseline | lexicon linear | + UniMorph | lexicon neural "
        "| compact student |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for loc, v in t["locales"].items():
        out.append(
            f"| {loc} | {v['lexicon_pairs']:,} | {v['coverage']:.1f} | {cell(v['baseline'])} | "
            f"{cell(v['lexicon_linear'])} | {cell(v['lexicon_linear_unimorph'])} | {cell(v['lexicon_neural'])} | "
            f"{cell(v['student'])} |"
        )
    return [*out, ""]


def lexicons() -> list[str]:
    runs = [(name, load(name)) for name in ("lexicon_linear", "lexicon_linear_unimorph")]
    runs = [(n, r) for n, r in runs if r is not None]
    if not runs:
        return []
    if load("lexicon_table") is not None:  # the side-by-side table holds the per-locale figures of both runs
        runs = []
    out = [
        "## Languages without labels: lexicon-translated training data",
        "",
        "en-US train translated word for word with each locale's bilingual lexicon (Wiktionary, plus GATITOS and "
        "FreeDict where they have the language), labels kept; the linear parser trained on that alone (no target "
        "text, no target labels) and scored on the locale's real MASSIVE dev. Coverage: the share of en-US "
        "training tokens the lexicon translates. The zero-shot baseline is the en-US-only neural model "
        "(me5-small), 36.37 mean EM over the 51 non-English locales.",
        "",
    ]
    for name, r in runs:
        out += [
            f"**{'with UniMorph forms where UniMorph has the language' if r.get('unimorph') else 'lexicon only'}**: "
            f"mean EM **{r['mean_exact_match']:.2f}** over {len(r['locales'])} locales "
            f"({r['train_examples']:,} generated utterances; {source(name)}).",
            "",
            "| locale | lexicon pairs | coverage % | UniMorph | EM | intent acc. | slot F1 |",
            "|---|---:|---:|---|---:|---:|---:|",
        ]
        for locale, row in r["locales"].items():
            out.append(
                f"| {locale} | {row['lexicon_pairs']:,} | {row['coverage']:.1f} | {'yes' if row['unimorph'] else ''} | "
                f"{row['exact_match']:.1f} | {row['intent_accuracy']:.1f} | {row['slot_f1']:.1f} |"
            )
        out.append("")
    if not runs:
        out += [
            f"Runs: {source('lexicon_linear')} (all 51), {source('lexicon_linear_unimorph')} (the 7 UniMorph has).",
            "",
        ]
    return [*out, *lexicon_summary()]


SCOPE_SHORT = {"taught": "texts", "phrasing": "phrasings", "goal": "goals", "confirmed": "and confirmed goals",
               "unknown": "goals, and where the log knows no reading", "intent": "goals and intents"}  # fmt: skip
SCOPE_WORDS = {
    "taught": "the texts it was taught",
    "phrasing": "taught texts and their phrasings with other values",
    "goal": "taught texts, their phrasings and texts it reads as a taught goal",
    "confirmed": "taught texts, phrasings and goals, and texts it reads as a goal the log confirmed where the "
    "original reads none",
    "unknown": "taught texts, phrasings and goals, and every text the original reads as no goal the log confirmed or "
    "taught",
    "intent": "taught texts, phrasings and goals, and texts whose intent it reads otherwise than the original",
}


def _refit_settings(refit: dict[str, Any]) -> str:
    parts = []
    if refit.get("mined_weight", 1) > 1:
        parts.append(f"each mined example {refit['mined_weight']} times")
    if refit.get("paths"):
        weight = f", each {refit['path_weight']} times" if refit.get("path_weight") is not None else ""
        if refit.get("path_max_failures") == "auto":
            weight += (f", after at most as many failed turns as the raters' paths allow (>= "
                       f"{pc(refit.get('path_min_precision', 0.85))} % rated right)")  # fmt: skip
        elif refit.get("path_max_failures") is not None:
            weight += f", after at most {refit['path_max_failures']} failed turns"
        parts.append(f"the failed turns of every reformulation that ended well{weight}, beside the mined rewrites")
    if refit.get("anchors"):
        parts.append("confirmed successes of the log as anchors")
    if refit.get("replay_gate") is not None:
        parts.append(f"a locale's refit kept only when replaying the log it mends >= {refit['replay_gate']:g}x "
                     "the turns it breaks")  # fmt: skip
    if refit.get("scope", "all") != "all":
        parts.append(f"the refit answering only {SCOPE_WORDS[refit['scope']]}, the original parser the rest")
    return (" (" + "; ".join(parts) + ")") if parts else ""


def _learning(settings: dict[str, Any]) -> str:
    """What a self-learning run learnt from, in a few words."""
    parts = ["rewrites"]
    if settings.get("corrections"):
        parts.append(f"meanings ({pc(settings['corrections'])} % of bad ratings name the intent)")
    every = settings.get("retrain_every") or 0
    if every:
        refit = settings.get("refit") or {}
        weight = f" x{refit['mined_weight']}" if refit.get("mined_weight", 1) > 1 else ""
        what = "mined pairs"
        if refit.get("paths"):
            path = f" x{refit['path_weight']}" if refit.get("path_weight") is not None else ""
            if refit.get("path_max_failures") == "auto":
                path += " (cut from ratings)"
            elif refit.get("path_max_failures") is not None:
                path += f" (<= {refit['path_max_failures']} failures)"
            what, weight = f"mined{weight} + every good path{path}", ""
        period = "daily" if every == 1 else f"every {every} days"
        scope = refit.get("scope", "all")
        parts.append(f"refit {period} on {what}{weight}" + (", gated" if refit.get("replay_gate") else "")
                     + ("" if scope == "all" else f", scoped to taught {SCOPE_SHORT[scope]}"))  # fmt: skip
    if settings.get("seed"):
        parts.append(f"seed {settings['seed']}")
    return " + ".join(parts)


def _refit_summary(t: dict[str, Any]) -> str:
    text = f"after day {t['day']}: {t['examples']} examples"
    if "path_cut" in t:
        cut = t["path_cut"]["max_failures"]
        text += f" (path cut {'none' if cut is None else cut})"
    if t.get("anchors"):
        text += f" + {t['anchors']} anchors"
    if "replay" in t:
        kept = sum(c["kept"] for c in t["replay"].values())
        text += f", kept in {kept} of {len(t['replay'])} locales"
    return text + f", {t['seconds']:.0f} s"


def pc(x: float | None) -> str:
    """A share as a percentage with one decimal; '-' for none."""
    return "-" if x is None else f"{100 * x:.1f}"


def selflearn_results(kind: str) -> list[str]:
    """The self-learning result files of one kind, oldest first: ``"simulation"`` (a run with and without
    learning) or ``"retrain"`` (an offline retrain beside the plain one in ``selflearn.json``)."""
    found = []
    for path in RESULTS.glob("selflearn*.json"):
        r = json.loads(path.read_text(encoding="utf-8"))
        if path.stem != "selflearn" and ("with_learning" if kind == "simulation" else "retrain") in r:
            found.append((str(r.get("date", "")), path.stem))
    if kind == "simulation" and (RESULTS / "selflearn.json").is_file():
        found.append(("", "selflearn"))  # the reference run comes first
    return [name for _, name in sorted(found)]


def _retrain_label(settings: dict[str, Any]) -> str:
    """What an offline retrain learnt from, in a few words: the weights, the path cut, anchors, the seed."""
    s = _normalised(settings)
    refit = s["refit"]
    parts = [f"mined x{refit['mined_weight']}"]
    if refit["paths"]:
        cut = refit["path_max_failures"]
        path = f"paths x{refit['path_weight'] or refit['mined_weight']}"
        if cut == "auto":
            path += f" (cut from ratings, >= {pc(refit.get('path_min_precision', 0.85))} %)"
        elif cut is not None:
            path += f" (<= {cut} failures)"
        parts.append(path)
    if refit["anchors"]:
        parts.append("anchored")
    if refit["scope"] != "all":
        parts.append(f"answering only {SCOPE_WORDS[refit['scope']]}")
    if s["seed"]:
        parts.append(f"seed {s['seed']}")
    return ", ".join(parts)


def pc2(x: float | None) -> str:
    """A share as a percentage with two decimals (dev EM moves by hundredths here); '-' for none."""
    return "-" if x is None else f"{100 * x:.2f}"


def _normalised(settings: dict[str, Any]) -> dict[str, Any]:
    """A run's settings with the defaults of keys older runs lack (seed 0, no refit, path weight as mined)."""
    defaults = {
        "mined_weight": 1,
        "anchors": False,
        "replay_gate": None,
        "paths": False,
        "path_weight": None,
        "path_max_failures": None,
        "scope": "all",
    }
    refit = {**defaults, **(settings.get("refit") or {})}
    return {"seed": 0, **settings, "refit": refit}


def _mined_weight(settings: dict[str, Any]) -> int:
    return int(settings["refit"]["mined_weight"])


def _seed(settings: dict[str, Any]) -> int:
    return int(settings["seed"])


def _all_but(settings: dict[str, Any], varied: str) -> str:
    """The settings save the one that varies (``mined_weight`` or ``seed``), as a key to group runs by."""
    if varied == "seed":
        return json.dumps({**settings, "seed": None}, sort_keys=True)
    return json.dumps({**settings, "refit": {**settings["refit"], "mined_weight": None}}, sort_keys=True)


def _one_thing_apart(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A line on the runs that differ only in the mined weight, or only in the seed: their reductions, and the
    locale whose reduction moves most between them."""
    lines = []
    for what, varied, get in (("Mined weights", "mined_weight", _mined_weight), ("Seeds", "seed", _seed)):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _, r in runs:
            groups[_all_but(_normalised(r["settings"]), varied)].append(r)
        for group in groups.values():
            if len({get(_normalised(r["settings"])) for r in group}) < 2:
                continue
            group.sort(key=lambda r: get(_normalised(r["settings"])))
            values_of = ", ".join(str(get(_normalised(r["settings"]))) for r in group)
            reductions = ", ".join(pc(r["with_learning"]["overall"]["defect_reduction"]) for r in group)
            per_locale = defaultdict(list)
            for r in group:
                for loc, f in r["with_learning"]["per_locale"].items():
                    per_locale[loc].append(100 * (f["defect_reduction"] or 0))
            loc, values = max(per_locale.items(), key=lambda kv: max(kv[1]) - min(kv[1]))
            moved = ", ".join(f"{v:.1f}" for v in values)
            overall = [r["with_learning"]["overall"] for r in group]
            mean = sum(o["defect_reduction"] or 0 for o in overall) / len(overall)
            ratios = ", ".join("-" if o["win_loss"] is None else f"{o['win_loss']:.1f}" for o in overall)
            wins, losses = sum(o["wins"] for o in overall), sum(o["losses"] for o in overall)
            pooled = f"{wins / losses:.1f}" if losses else "no losses"
            lines.append(f"{what} {values_of} of the same setting (one run each) give {reductions} % (mean "
                         f"{pc(mean)} %), win/loss {ratios} (pooled {pooled}: {wins} / {losses}); the locale "
                         f"that moves most between them is {loc} ({moved}).")  # fmt: skip
    if lines:
        lines[-1] += " That is the run-to-run spread of a simulation of this size (docs/experiments.md, section 12)."
    return [" ".join(lines)] if lines else []


def _causes(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A line on what won and lost in the runs that count it: the rewriter, or the refit parser on a text it
    was taught, on one the log held, or on a new one."""
    parts = []
    for name, r in runs:
        changes = r["with_learning"]["overall"].get("changes")
        if not changes:
            continue
        named = (("rewrites", "rewrite"), ("refit on taught texts", "taught"), ("on other logged texts", "logged"),
                 ("on new texts", "new"))  # fmt: skip
        causes = ", ".join(f"{what} {changes.get(key + '_wins', 0)}/{changes.get(key + '_losses', 0)}"
                           for what, key in named)  # fmt: skip
        rules = r["with_learning"]["overall"].get("scope_rules")
        if rules:  # a scoped refit's changes by the rule that let it answer
            kinds = sorted({k.rsplit("_", 1)[0] for k in rules})
            causes += (
                " (by scope rule: "
                + ", ".join(f"{k} {rules.get(k + '_wins', 0)}/{rules.get(k + '_losses', 0)}" for k in kinds)
                + ")"
            )
        parts.append(f"{source(name)}: {causes}")
    if not parts:
        return []
    return ["Wins/losses by what changed the turn: " + "; ".join(parts) + ".", ""]


def _label_checks(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A line on the runs whose refits checked their labels in the loop: per refit, how many mined and path
    (<= 2 failures) labels met the goals, beside the raters' estimate for that cut."""
    parts = []
    for name, r in runs:
        overall = r["with_learning"]["overall"]
        checked = [t for t in overall.get("retrains") or [] if "label_precision" in t]
        if overall.get("label_check"):
            checked.append({"day": "end", **overall["label_check"]})
        if not checked:
            continue
        days = []
        for t in checked:
            mined, paths = t["label_precision"]["mined"], t["label_precision"]["paths_max_failures_2"]
            said = t["raters_estimate"]["precision"].get("2")
            when = "whole log" if t["day"] == "end" else f"day {t['day']}"
            days.append(f"{when} mined {pc(mined['precision'])} % of {mined['judged']}, paths "
                        f"{pc(paths['precision'])} % of {paths['judged']} (raters {pc(said)} %)")  # fmt: skip
        parts.append(f"{source(name)}: " + "; ".join(days))
    if not parts:
        return []
    return ["Labels in the loop, right against the goals (paths after <= 2 failures, beside what the raters' "
            "paths estimate for that cut): " + ". ".join(parts) + ".", ""]  # fmt: skip


def selflearn() -> list[str]:
    names = selflearn_results("simulation")
    runs = [(n, load(n)) for n in names]
    runs = [(n, r) for n, r in runs if r is not None and "with_learning" in r]
    base = load("selflearn")
    if not runs and base is None:
        return []
    out = [
        "## Self-learning",
        "",
        "Simulated users (`kiloglot.learn.selflearn.simulate`) in 8 locales talk to the real assistant (the "
        "52-locale linear model, SQLite store) for days; goals and phrasings come from MASSIVE dev, Zipf-like; a "
        "user rephrases a failed request up to three times (or gives up, 15 % after each failure); a fifth of the "
        "users rate every turn. Between days the log so far is labelled and mined and the rewrites stored; the "
        "next day's turns go through the rewriter. Defect rate: first turns of requests the assistant got wrong. "
        "Defect reduction: on first turns of goals asked on an earlier day, days 2 onwards, against the same "
        "turns without self-learning (the original parser on the text as said). Wins/losses: turns whose outcome "
        "self-learning changed, worked where the original parser on the text as said would have failed, and the "
        "reverse. Precision: mined rewrites whose target's parse meets the goal the source was "
        "said for. Ceilings: the share of those defects exact-match rewrites could remove at best (the same text "
        "failed before, the goal was solved before), and the share any learning from successes could reach (some "
        "user had reached the goal on an earlier day; the rest are goals nobody ever got through, with any "
        "phrasing). How it works: [docs/selflearn.md](docs/selflearn.md).",
        "",
    ]
    if runs:
        out += ["Every run, one row each (the goals: reduction >= 35 %, win/loss >= 12, no locale worse); the run "
                "with the largest reduction is shown in full below.", "",
                "| run | users x days | learning | reduction on recurring % | win/loss | locales worse | "
                "ceilings: exact / learnable % | rewrite precision % |",
                "|---|---:|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        for name, r in runs:
            s, o = r["settings"], r["with_learning"]["overall"]
            worse = sum((f["defect_reduction"] or 0) < 0 for f in r["with_learning"]["per_locale"].values())
            ratio = "no losses" if o["win_loss"] is None else f"{o['win_loss']:.1f}"
            out.append(f"| {source(name)} | {s['users']} x {s['days']} | {_learning(s)} | "
                       f"**{pc(o['defect_reduction'])}** | {ratio} | {worse} | {pc(o.get('exact_rewrite_ceiling'))} / "
                       f"{pc(o.get('learnable_ceiling'))} | {pc(o['rewrite_precision'])} |")  # fmt: skip
        out += [*_one_thing_apart(runs), "", *_causes(runs), *_label_checks(runs)]
        runs = [max(runs, key=lambda nr: nr[1]["with_learning"]["overall"]["defect_reduction"] or 0)]
    for name, r in runs:
        w, wo, s = r["with_learning"], r["without_learning"], r["settings"]
        o = w["overall"]
        ratio = "no losses" if o["win_loss"] is None else f"{o['win_loss']:.1f}"
        every = s.get("retrain_every") or 0
        refits = o.get("retrains") or []
        refit_list = ", ".join(_refit_summary(t) for t in refits)
        how = ""
        if every:
            period = "day" if every == 1 else f"{every} days"
            how = f", **and the parser refit every {period}** on its train data + mined pairs"
            how += _refit_settings(r["settings"].get("refit") or {}) + f" ({refit_list})"
        if s.get("corrections"):
            how += (f", **{pc(s['corrections'])} % of the raters' bad ratings naming the intent meant** "
                    "(meaning rewrites)")  # fmt: skip
        learnable = f", learnable {pc(o['learnable_ceiling'])} %" if o.get("learnable_ceiling") is not None else ""
        out += [
            f"**{s['users']} users, {s['days']} days, {s['requests_per_day']} requests a user a day** "
            f"(min support {s['mining']['min_support']}{how}; {source(name)}): defect reduction on recurring goals "
            f"**{pc(o['defect_reduction'])} %** (ceilings: exact rewrites {pc(o['exact_rewrite_ceiling'])} %"
            f"{learnable}), win/loss **{ratio}** "
            f"({o['wins']} wins, {o['losses']} losses), {o['rewrites']} rewrites, precision "
            f"{pc(o['rewrite_precision'])} %." + (f" Note: {r['notes']}" if r.get("notes") else ""),
            "",
            "| day | active rewrites | defect rate with % | without % |",
            "|---:|---:|---:|---:|",
        ]
        for d, d0 in zip(w["per_day"], wo["per_day"]):
            out.append(f"| {d['day']} | {d['active_rewrites']} | {pc(d['defect_rate'])} | {pc(d0['defect_rate'])} |")
        out += ["", "| locale | defect rate with % | without % | reduction on recurring % | wins | losses | rewrites "
                "| precision % |", "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        for loc, f in [*w["per_locale"].items(), ("all", o)]:
            f0 = wo["per_locale"].get(loc, wo["overall"])
            out.append(f"| {loc} | {pc(f['defect_rate'])} | {pc(f0['defect_rate'])} | {pc(f['defect_reduction'])} "
                       f"| {f['wins']} | {f['losses']} | {f['rewrites']} | "
                       f"{pc(f['rewrite_precision'])} |")  # fmt: skip
        out.append("")
    if base and "rephrase_detection" in base:
        d = base["rephrase_detection"]
        out += [f"**Rephrase detection** (fitted on {d['fit_pairs']:,} pairs of simulated train traffic; held-out "
                "pairs of simulated dev traffic, another seed):", "",
                "| locale | pairs | rephrases | precision % | recall % |", "|---|---:|---:|---:|---:|"]  # fmt: skip
        for loc, v in d["held_out"].items():
            out.append(f"| {loc} | {v['pairs']} | {v['rephrases']} | {pc(v['precision'])} | {pc(v['recall'])} |")
        out.append("")
    if base and "cost" in base:
        c = base["cost"]
        out += [f"**Cost**: rewriter lookup p50 {c['rewriter_lookup_us_p50']:.1f} µs a turn (p99 "
                f"{c['rewriter_lookup_us_p99']:.1f} µs); labelling and mining {c['turns']:,} logged turns "
                f"{c['seconds']:.1f} s ({c['seconds_per_100k_turns']:.1f} s per 100k turns), one core.",
                ""]  # fmt: skip
    if base and "retrain" in base:
        t = base["retrain"]
        out.append(f"**Retraining** on mined pairs (a simulation on MASSIVE train, so that mined data and scored data "
                   f"never meet): {t['rewrites']} rewrites gave {t['examples']} training examples ({t['skipped']} "
                   f"without every slot value in the failed utterance); the {len(t['locales'])} locales refit; mean "
                   f"dev EM {pc2(t['dev_exact_match_before'])} -> **{pc2(t['dev_exact_match_after'])}**.")  # fmt: skip
        variants, labelled = [], []
        for name in selflearn_results("retrain"):
            r = load(name) or {}  # selflearn_results found a "retrain" in each
            v, label = r["retrain"], _retrain_label(r["settings"])
            variants.append((label, v))
            if v.get("label_precision"):
                labelled.append((source(name), v["label_precision"], v.get("path_cut")))
            unscoped = v.get("dev_exact_match_unscoped")  # a scoped refit: "after" is the scoped model's
            alone = f" (the refit alone, answering every text: {pc2(unscoped)})" if unscoped is not None else ""
            if v.get("dev_changes"):  # how many dev parses it changed, and which way
                alone += "; dev parses changed " + ", ".join(
                    f"{'by the refit alone' if k == 'refit_alone' else 'as served'} {c['changed']:,} "
                    f"({c['became_right']} right, {c['became_wrong']} wrong)"
                    for k, c in v["dev_changes"].items()
                )
            if v.get("serving_ms"):  # a scoped model parses a text outside its scope twice
                ms = v["serving_ms"]
                alone += f"; parse p50 {ms['original_p50']:.2f} ms before, {ms['served_p50']:.2f} ms after"
            out[-1] += (f" With {label} ({v['examples']:,} examples, "
                        f"{v.get('anchors', 0):,} anchors; {source(name)}): {pc2(v['dev_exact_match_before'])} "
                        f"-> **{pc2(v['dev_exact_match_after'])}**{alone}.")  # fmt: skip
        if labelled:
            lp = labelled[-1][1]
            cuts = ", ".join(f"{what} {pc(lp[key]['precision'])} % of {lp[key]['judged']:,}" for what, key in (
                ("every path", "paths_max_failures_None"), ("<= 2 failures", "paths_max_failures_2"),
                ("<= 1 failure", "paths_max_failures_1")))  # fmt: skip
            out[-1] += (
                f" Labels right against the simulation's goals ({labelled[-1][0]}): mined examples "
                f"{pc(lp['mined']['precision'])} % of {lp['mined']['judged']:,}; path examples, {cuts}."
            )
            estimate = labelled[-1][2]
            if estimate:  # what the raters' paths alone said about the same cuts (``calibrate_path_cut``)
                rated = sum(n for _, n in estimate["rated"].values())
                shares = ", ".join(f"<= {k} {pc(v)} %" for k, v in estimate["precision"].items() if int(k) <= 3)
                chose = "every path" if estimate["max_failures"] is None else f"<= {estimate['max_failures']}"
                out[-1] += (f" The raters' paths alone ({rated:,} rated endings) estimate {shares}; at "
                            f"{pc(estimate['min_precision'])} % the automatic cut is {chose}"
                            + (" (the cut this run used)." if estimate.get("auto") else "."))  # fmt: skip
        head = "| locale | dev EM before | after |" + "".join(f" after, {label} |" for label, _ in variants)
        out += ["", head, "|---|---:|---:|" + "---:|" * len(variants)]
        for loc in t["locales"]:
            extra = "".join(f" {pc2(v['per_locale_after'].get(loc))} |" for _, v in variants)
            out.append(f"| {loc} | {pc2(t['per_locale_before'][loc])} | {pc2(t['per_locale_after'][loc])} |{extra}")
        out.append("")
    return out


def main() -> int:
    lines = [
        "# Benchmarks",
        "",
        "Measured on this project's machines: 2 CPU cores, no GPU. Every figure below is read from the result "
        "file its row names under `benchmarks/results/`, which holds the command, machine and date of the run; "
        "`python -m benchmarks write_benchmarks_md` writes this page again from them. How the figures were "
        "reached, and what was tried on the way, is in [docs/experiments.md](docs/experiments.md).",
        "",
        *accuracy(),
        *speed(),
        *deployment(),
        *distillation(),
        *serving(),
        *assistant_values(),
        *unspaced(),
        *voice(),
        *lexicons(),
        *selflearn(),
    ]
    write_text_atomic(ROOT / "BENCHMARKS.md", "\n".join(lines).rstrip() + "\n")
    print(f"wrote {ROOT / 'BENCHMARKS.md'} ({len(lines)} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
