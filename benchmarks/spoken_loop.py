#!/usr/bin/env python3
"""The spoken-MASSIVE loop: how much understanding survives the trip through speech, per locale.

For the first N dev utterances (by id, so the same requests in every locale) of each locale with a voice:
synthesize with espeak-ng, let Whisper guess the spoken language among the model's locales (spoken LID),
transcribe in the gold locale, normalise to MASSIVE's written style, parse. Beside each, the same
utterances parsed from their text. Exact match here compares the intent and the slots as (name, value)
sets (the words of a transcript are not MASSIVE's, so word labels cannot be compared); computed the
same way for text, so the two columns compare like with like. WER (CER for ja, zh, th, km, my) is on
the normalised transcript. Synthetic speech is kinder than people are: clean, steady, no noise, no
accent; but espeak-ng's voices are far from natural, which Whisper finds harder than a person's.

    python benchmarks/spoken_loop.py --model models/linear-all --per-locale 20 --name spoken_loop
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import ctranslate2
from results_io import emit, header, run_timed

from kiloglot.data import read_massive
from kiloglot.nlu import load
from kiloglot.speech import create_recognizer, create_synthesizer, style_prompt, to_written_style

CHARACTER_LOCALES = ("ja", "zh", "th", "km", "my")  # no spaces between words: CER, not WER


def slot_set(slots: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((name, re.sub(r"\s+", "", value.lower())) for name, value in slots)


def understanding(golds: Sequence[Any], parses: Sequence[Any]) -> dict[str, float]:
    n = len(golds) or 1
    intent = sum(p.intent == g.intent for g, p in zip(golds, parses))
    exact = sum(
        p.intent == g.intent
        and slot_set([(s.name, g.text[s.start : s.end]) for s in g.spans])
        == slot_set([(s.name, s.value) for s in p.slots])
        for g, p in zip(golds, parses)
    )
    return {"intent_accuracy": round(100 * intent / n, 2), "exact_match": round(100 * exact / n, 2)}


def error_rate(references: list[str], hypotheses: list[str], locale: str) -> tuple[str, float]:
    import jiwer

    if locale.split("-")[0] in CHARACTER_LOCALES:
        refs = [r.replace(" ", "") or "-" for r in references]
        hyps = [h.replace(" ", "") for h in hypotheses]
        return "cer", round(100 * jiwer.cer(refs, hyps), 2)
    return "wer", round(100 * jiwer.wer([r or "-" for r in references], hypotheses), 2)


def _voice_of(synthesizer: Any, locale: str) -> str:
    """backend:voice that speaks ``locale`` (the layered synthesiser says which member does)."""
    member = synthesizer.member(locale) if hasattr(synthesizer, "member") else synthesizer
    names = [v.name for v in member.voices() if v.locale == locale]
    return f"{member.name}:{names[0] if names else '?'}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--locales", default=None, help="comma-separated; default: the model's locales with a voice")
    ap.add_argument("--per-locale", type=int, default=20)
    ap.add_argument(
        "--skip",
        type=int,
        default=0,
        help="leave out the first N utterances per locale (a slice disjoint from the "
        "reported one, for studying errors without tuning on what is reported)",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="speak each utterance this many times (a sampling voice such as "
        "Piper sounds different each time): speech figures are over all passes, per-pass EM reported too",
    )
    ap.add_argument("--dump", default=None, help="write every utterance (text, transcript, both parses) to this JSONL")
    ap.add_argument("--asr-model", default="")
    ap.add_argument("--data", default=None)
    ap.add_argument(
        "--compare",
        default=None,
        help="also parse the same transcripts (and texts) with this model, "
        "e.g. one trained with --asr-noise: the gain of ASR-robust training on identical transcripts",
    )
    ap.add_argument("--tts", default="espeak-ng", help="synthesiser: espeak-ng, piper, best (Piper where it has a "
                    "voice, else espeak-ng)")  # fmt: skip
    ap.add_argument(
        "--threads", type=int, default=1, help="Whisper's CPU threads (1: the per-turn speed goal's setting)"
    )
    ap.add_argument(
        "--asr-prompt",
        default="",
        help="Whisper's prompt: TEXT, or 'style' for requests of the model's MASSIVE train data in the "
        "locale (speech.style_prompt); default: none",
    )
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    parser = load(args.model)
    other = load(args.compare) if args.compare else None
    synthesizer = create_synthesizer(args.tts)
    locales = args.locales.split(",") if args.locales else [l for l in parser.locales if synthesizer.supports(l)]
    recognizer = create_recognizer(
        "whisper", model=args.asr_model, locales=tuple(parser.locales), cpu_threads=args.threads
    )
    recognizer.loaded()  # type: ignore[attr-defined]
    prompts: dict[str, str] = {}
    if args.asr_prompt == "style":
        train = read_massive(args.data, locales, ["train"])
        prompts = {loc: style_prompt((e.intent, e.text) for e in train if e.locale == loc) for loc in locales}
    elif args.asr_prompt:
        prompts = dict.fromkeys(locales, args.asr_prompt)
    dev = read_massive(args.data, locales, ["dev"])
    by_locale: dict[str, list[Any]] = defaultdict(list)
    seen: dict[str, int] = defaultdict(int)
    for e in sorted(dev, key=lambda e: int(e.id)):
        seen[e.locale] += 1
        if seen[e.locale] > args.skip and len(by_locale[e.locale]) < args.per_locale:
            by_locale[e.locale].append(e)
    dump = open(args.dump, "w", encoding="utf-8") if args.dump else None  # closed at the end
    rows, per_locale = [], {}

    def write(done: bool) -> None:
        """The result so far: written after each locale, so that a long run interrupted keeps what it measured."""
        values = list(per_locale.values())

        def mean(key: str, sub: str | None = None) -> float:
            picked = [v[key][sub] if sub else v[key] for v in values if (v.get(key) is not None)]
            return round(sum(picked) / len(picked), 2) if picked else 0.0

        summary = {
            "text_exact_match": mean("text", "exact_match"),
            "speech_exact_match": mean("speech", "exact_match"),
            "speech_unnormalised_exact_match": mean("speech_unnormalised", "exact_match"),
            "text_intent_accuracy": mean("text", "intent_accuracy"),
            "speech_intent_accuracy": mean("speech", "intent_accuracy"),
            "spoken_lid_accuracy": mean("spoken_lid_accuracy"),
            **(
                {
                    "compare_model": args.compare,
                    "compare_text_exact_match": mean("compare_text", "exact_match"),
                    "compare_speech_exact_match": mean("compare_speech", "exact_match"),
                }
                if other
                else {}
            ),
            "locales_under_20_error": [l for l, v in per_locale.items() if v.get("wer", v.get("cer", 100)) < 20],
        }
        good = summary["locales_under_20_error"]
        if good:
            text_em = sum(per_locale[l]["text"]["exact_match"] for l in good) / len(good)
            speech_em = sum(per_locale[l]["speech"]["exact_match"] for l in good) / len(good)
            summary["under_20_speech_to_text_em"] = round(speech_em / text_em, 3) if text_em else None
        result = {**header("spoken_loop"), "model": args.model, "asr": recognizer.describe(), "tts": args.tts,
                  "per_locale_utterances": args.per_locale, "skipped": args.skip, "repeats": args.repeats,
                  "asr_prompt": args.asr_prompt, "complete": done, "summary": summary,
                  "locales": per_locale}  # fmt: skip
        table = [
            f"Spoken MASSIVE loop (model {args.model}; TTS {args.tts} -> Whisper base int8 greedy -> normalise "
            "-> parse; "
            + (
                f"dev utterances {args.skip + 1}-{args.skip + args.per_locale} per locale"
                if args.skip
                else f"first {args.per_locale} dev utterances per locale"
            )
            + (f", each spoken {args.repeats} times" if args.repeats > 1 else "")
            + ("" if done else f"; partial: {len(per_locale)} of {len(locales)} locales so far")
            + ")",
            "",
            "| locale | WER / CER | EM text | EM speech | EM speech, unnormalised | speech / text "
            "| intent text / speech | spoken LID % |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            f"| **mean** | | **{summary['text_exact_match']:.1f}** | **{summary['speech_exact_match']:.1f}** | "
            f"{summary['speech_unnormalised_exact_match']:.1f} | | {summary['text_intent_accuracy']:.1f} / "
            f"{summary['speech_intent_accuracy']:.1f} | {summary['spoken_lid_accuracy']:.0f} |",
        ]
        if other is not None:
            compared_text = f"EM text {summary['compare_text_exact_match']:.1f}"
            table += ["", f"Same transcripts parsed by {args.compare}: {compared_text}, "
                      f"EM speech {summary['compare_speech_exact_match']:.1f}"]  # fmt: skip
        emit(args.name, result, table)

    for locale in locales:
        golds = by_locale[locale]
        recognizer.prompt = prompts.get(locale, "")  # type: ignore[attr-defined]
        started = time.perf_counter()
        raw, written, lid_right, audio_seconds, asr_seconds = [], [], 0, 0.0, 0.0
        # Piper samples its voice (VITS noise): each pass hears other audio, so passes are samples of one figure
        said = [g for _ in range(args.repeats) for g in golds]
        for n, g in enumerate(said):
            audio = synthesizer.synthesize(g.text, locale).resampled()
            audio_seconds += audio.seconds
            mark = time.perf_counter()
            ranked = recognizer.detect(audio, parser.locales)
            # a decode Whisper calls failed is decoded again by sampling: seeded per utterance and pass
            ctranslate2.set_random_seed(int(g.id) + 1_000_000 * (n // max(len(golds), 1)))
            heard = recognizer.transcribe(audio, locale)
            asr_seconds += time.perf_counter() - mark
            lid_right += bool(ranked) and ranked[0][0] == locale
            raw.append(heard.text)
            written.append(to_written_style(heard.text, locale) or "-")  # nothing heard: a miss
        text_parses = parser.parse([g.text for g in golds], locale)
        speech_parses = parser.parse(written, locale)
        texts = understanding(golds, text_parses)
        spoken = understanding(said, speech_parses)
        passes = [
            understanding(golds, speech_parses[i * len(golds) : (i + 1) * len(golds)])["exact_match"]
            for i in range(args.repeats)
        ]
        if dump is not None:
            for n, (g, r, w, sp) in enumerate(zip(said, raw, written, speech_parses)):
                tp = text_parses[n % len(golds)]
                gold = slot_set([(s.name, g.text[s.start : s.end]) for s in g.spans])
                record = {"id": g.id, "locale": locale, "pass": n // len(golds), "text": g.text, "heard": r,
                          "written": w, "gold": {"intent": g.intent, "slots": gold},
                          "from_text": {"intent": tp.intent, "slots": slot_set([(s.name, s.value) for s in tp.slots])},
                          "from_speech": {"intent": sp.intent,
                                          "slots": slot_set([(s.name, s.value) for s in sp.slots])}}  # fmt: skip
                dump.write(json.dumps(record, ensure_ascii=False) + "\n")
            dump.flush()
        spoken_raw = understanding(said, parser.parse([r or "-" for r in raw], locale))
        measure, rate = error_rate([g.text for g in said], written, locale)
        _, rate_raw = error_rate([g.text for g in said], [r.lower() for r in raw], locale)
        ratio = spoken["exact_match"] / texts["exact_match"] if texts["exact_match"] else None
        compared = {}
        if other is not None:
            compared = {"compare_text": understanding(golds, other.parse([g.text for g in golds], locale)),
                        "compare_speech": understanding(said, other.parse(written, locale))}  # fmt: skip
        per_locale[locale] = {
            "utterances": len(golds),
            "voice": _voice_of(synthesizer, locale),
            measure: rate,
            f"{measure}_unnormalised": rate_raw,
            "text": texts,
            "speech": spoken,
            "speech_unnormalised": spoken_raw,
            "speech_to_text_em": ratio,
            "speech_exact_match_per_pass": passes,
            "spoken_lid_accuracy": round(100 * lid_right / len(said), 2),
            "audio_seconds": round(audio_seconds, 1),
            "asr_real_time_factor": round(asr_seconds / audio_seconds, 3),
            "examples": [{"text": g.text, "heard": h} for g, h in list(zip(said, written))[:3]],
            **compared,
        }
        rows.append(
            f"| {locale} | {measure.upper()} {rate:.1f} | {texts['exact_match']:.1f} | {spoken['exact_match']:.1f} | "
            f"{spoken_raw['exact_match']:.1f} | {'' if ratio is None else f'{ratio:.2f}'} | "
            f"{texts['intent_accuracy']:.1f} / {spoken['intent_accuracy']:.1f} | {100 * lid_right / len(said):.0f} |"
        )
        print(f"{locale}: {measure} {rate:.1f}, EM text {texts['exact_match']:.1f} speech {spoken['exact_match']:.1f} "
              f"({time.perf_counter() - started:.0f}s)", flush=True)  # fmt: skip
        write(done=locale == locales[-1])
    if dump is not None:
        dump.close()
    return 0


if __name__ == "__main__":
    run_timed(main)
