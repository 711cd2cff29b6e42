#!/usr/bin/env python3
"""One spoken turn, audio in -> audio out, on one thread: ASR and TTS real-time factors, the whole turn's
p50/p95 for a 3-second request, and peak memory. Run it alone: on 2 cores, a second heavy job skews it.

The request is spoken by espeak-ng and padded with silence to 3.0 s; each repetition is a new turn of one
session through ``VoicePipeline.converse`` (Whisper base int8 with 1 CPU thread, the linear parser, the
assistant with its SQLite store, espeak-ng for the reply).

    python benchmarks/voice_latency.py --model models/linear-demo --name voice_latency
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time

import numpy as np
from results_io import emit, header, run_timed

from kiloglot.assistant import Assistant, Store
from kiloglot.assistant.spoken import VoicePipeline
from kiloglot.nlu import load
from kiloglot.speech import Audio, create_recognizer, create_synthesizer


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", default="set an alarm for seven thirty tomorrow morning")
    ap.add_argument("--locale", default="en-US")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--asr-model", default="")
    ap.add_argument("--tts", default="espeak-ng", help="synthesiser: espeak-ng, piper, best")
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = load(args.model)
    one_thread = {"piper": {"threads": 1}}
    synthesizer = (create_synthesizer("best", options=one_thread) if args.tts == "best"
                   else create_synthesizer(args.tts, **one_thread.get(args.tts, {})))  # fmt: skip
    recognizer = create_recognizer("whisper", model=args.asr_model, cpu_threads=1, locales=tuple(parser.locales))
    recognizer.loaded()  # type: ignore[attr-defined]
    speech = synthesizer.synthesize(args.text, args.locale).resampled()
    pad = max(0, int(args.seconds * speech.sample_rate) - len(speech.samples))
    request = Audio(np.concatenate([speech.samples, np.zeros(pad, np.float32)]), speech.sample_rate)
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(parser, Store(f"sqlite:///{tmp}/latency.db"))
        voice = VoicePipeline(assistant, recognizer, synthesizer)
        voice.converse("warm-up", request, args.locale)  # first use loads what loads lazily
        totals, asr, tts, replies = [], [], [], []
        for i in range(args.repeats):
            # fresh samples each turn, as each request brings: the recogniser keeps the encoder output of
            # the audio it saw last, which a repeated array would reuse
            fresh = Audio(request.samples.copy(), request.sample_rate)
            turn = voice.converse(f"s{i % 3}", fresh, args.locale)
            totals.append(turn.timings["total"])
            asr.append(turn.timings["asr"])
            tts.append(turn.timings["tts"])
            replies.append(turn.reply_audio.seconds if turn.reply_audio else 0.0)
        heard = turn.transcript.text
    tts_seconds = []
    for _ in range(10):
        mark = time.perf_counter()
        synthesizer.synthesize("Your alarm is set for 7:30 AM tomorrow.", args.locale)
        tts_seconds.append(time.perf_counter() - mark)
    reply = synthesizer.synthesize("Your alarm is set for 7:30 AM tomorrow.", args.locale)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        **header("voice_latency"),
        "model": args.model,
        "asr": recognizer.describe(),
        "tts": args.tts,
        "voice": [v.name for v in synthesizer.voices() if v.locale == args.locale][:1],
        "request_seconds": request.seconds,
        "heard": heard,
        "turn_p50_s": round(percentile(totals, 50), 3),
        "turn_p95_s": round(percentile(totals, 95), 3),
        "asr_p50_s": round(percentile(asr, 50), 3),
        "asr_real_time_factor": round(statistics.median(asr) / request.seconds, 3),
        "tts_real_time_factor": round(statistics.median(tts_seconds) / reply.seconds, 4),
        "tts_p50_s_in_turn": round(percentile(tts, 50), 3),
        "reply_audio_seconds": round(statistics.median(replies), 2),
        "peak_rss_mb": round(peak_mb),
        "repeats": args.repeats,
        "threads": 1,
    }
    table = [
        f"One spoken turn on one thread ({request.seconds:.1f} s request, {args.repeats} turns; model {args.model})",
        "",
        "| turn p50 | turn p95 | ASR p50 | ASR RTF | TTS RTF | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {result['turn_p50_s']:.2f} s | {result['turn_p95_s']:.2f} s | {result['asr_p50_s']:.2f} s | "
        f"{result['asr_real_time_factor']:.2f} | {result['tts_real_time_factor']:.3f} | {result['peak_rss_mb']} MB |",
    ]
    emit(args.name, result, table)
    return 0


if __name__ == "__main__":
    run_timed(main)
