#!/usr/bin/env python3
"""Load benchmark: `kiloglot serve` in one process, concurrent HTTP clients in another, on loopback.

Drives POST /v1/parse (one utterance per request) and POST /v1/converse (50 sessions) with real
MASSIVE dev utterances of the served locales, for a fixed time per endpoint, and records
throughput, latency p50/p90/p99, errors and the server's memory (VmRSS / VmHWM).

Clients: wrk (Debian's `wrk`, C and epoll: it takes little of the two cores the server needs) with
one connection per client, closed loop; or, with --client aiohttp (or when wrk is missing), Python
coroutines, which also support --think-ms.

    python benchmarks/load_server.py --model models/linear-all --clients 50 --seconds 60 --name load_linear
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
import numpy as np
from results_io import header, write_result

from kiloglot.data import parse_locales, read_massive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM summed over the server process and its children (uvicorn workers)."""
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    out = {"VmRSS": 0, "VmHWM": 0}
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in out:
                out[key] += int(value.split()[0])
    return out


async def drive(
    base: str, endpoint: str, utterances: list[tuple[str, str]], clients: int, seconds: float, think_ms: float
) -> dict:
    """Closed loop: each client sends its next request when the last one is answered (plus think time)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop = time.perf_counter() + seconds

    async def client(i: int, http: aiohttp.ClientSession) -> None:
        rng = random.Random(i)
        session = f"load-{i}"
        while time.perf_counter() < stop:
            locale, text = utterances[rng.randrange(len(utterances))]
            body = (
                {"texts": [text], "locale": locale}
                if endpoint == "parse"
                else {"text": text, "locale": locale, "session_id": session}
            )
            t0 = time.perf_counter()
            key = None
            try:
                async with http.post(f"{base}/v1/{endpoint}", json=body) as r:
                    payload = await r.read()
                    if r.status != 200:
                        key = f"http {r.status}: {payload[:120].decode(errors='replace')}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                key = type(exc).__name__
            latencies.append(time.perf_counter() - t0)
            if key:
                errors[key] = errors.get(key, 0) + 1
            if think_ms:
                await asyncio.sleep(rng.expovariate(1000.0 / think_ms))

    # aiohttp rather than httpx: the load generator shares the cores with the server, so it must be cheap
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(i, http) for i in range(clients)))
        wall = time.perf_counter() - t0
    lat = np.array(latencies) * 1000
    return {
        "endpoint": f"/v1/{endpoint}",
        "client": "aiohttp",
        "requests": len(lat),
        "seconds": wall,
        "throughput_per_s": len(lat) / wall,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "latency_ms": {q: float(np.percentile(lat, p)) for q, p in (("p50", 50), ("p90", 90), ("p99", 99))},
        "latency_ms_max": float(lat.max()),
    }


WRK_SCRIPT = """
local bodies = {%s}
local paths = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", paths[i], {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('KILOGLOT {"requests": %%d, "duration_us": %%d, "p50": %%d, "p90": %%d, '
    .. '"p99": %%d, "max": %%d, '
    .. '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def drive_wrk(base: str, endpoint: str, utterances: list[tuple[str, str]], clients: int, seconds: float) -> dict:
    rng = random.Random(0)
    picked = [utterances[rng.randrange(len(utterances))] for _ in range(4000)]
    bodies, paths = [], []
    for n, (locale, text) in enumerate(picked):
        body = (
            {"texts": [text], "locale": locale}
            if endpoint == "parse"
            else {"text": text, "locale": locale, "session_id": f"load-{n % clients}"}
        )
        bodies.append("[==[" + json.dumps(body, ensure_ascii=False) + "]==]")
        paths.append(f'"/v1/{endpoint}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(WRK_SCRIPT % (",".join(bodies), ",".join(paths)))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", f.name, base + "/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("KILOGLOT "))
    r = json.loads(line[len("KILOGLOT ") :])
    errors = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
    wall = r["duration_us"] / 1e6
    return {
        "endpoint": f"/v1/{endpoint}",
        "client": "wrk",
        "requests": r["requests"],
        "seconds": wall,
        "throughput_per_s": r["requests"] / wall,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "latency_ms": {q: r[q] / 1000 for q in ("p50", "p90", "p99")},
        "latency_ms_max": r["max"] / 1000,
    }


def write_integrity(db: str, answered: int) -> dict:
    """Lost writes after the run: every session's turns numbered 1..n with no gap or repeat, its state at
    turn n, and at least as many logged turns as answered requests (a few more may have been answered
    after the client stopped counting)."""
    from sqlalchemy import select

    from kiloglot.assistant import Store
    from kiloglot.assistant.store import SessionRow, TurnRow

    store = Store(db)
    with store.engine.connect() as c:
        turns = c.execute(select(TurnRow.session_id, TurnRow.turn)).all()
        states = dict(c.execute(select(SessionRow.id, SessionRow.state)).all())
    store.close()
    by_session: dict[str, list[int]] = {}
    for session, turn in turns:
        by_session.setdefault(session, []).append(turn)
    broken = [
        sid
        for sid, ns in by_session.items()
        if sorted(ns) != list(range(1, len(ns) + 1)) or (states.get(sid) or {}).get("turn") != len(ns)
    ]
    return {
        "logged_turns": len(turns),
        "answered": answered,
        "sessions": len(by_session),
        "sessions_with_lost_or_repeated_turns": len(broken),
        "lost_writes": max(0, answered - len(turns)),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--locales", default="default", help="locales whose dev utterances are sent")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think-ms", type=float, default=0.0, help="mean pause between a client's requests (aiohttp)")
    ap.add_argument("--client", choices=["wrk", "aiohttp"], default="wrk" if shutil.which("wrk") else "aiohttp")
    ap.add_argument("--workers", type=int, default=1, help="server processes")
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--name", required=True)
    args = ap.parse_args()
    locales = parse_locales(args.locales)
    dev = read_massive(None, locales, ["dev"])
    utterances = [(e.locale, e.text) for e in dev]
    tmp = tempfile.mkdtemp(prefix="kiloglot-load-")
    db = args.db or f"sqlite:///{tmp}/load.db"
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "kiloglot",
        "serve",
        args.model,
        "--port",
        str(port),
        "--db",
        db,
        "--workers",
        str(args.workers),
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit(f"server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)
        # warm up: load every locale's weights once, so the run measures serving, not loading
        for loc in locales:
            httpx.post(f"{base}/v1/parse", json={"texts": ["hello"], "locale": loc}, timeout=60)
        mem_before = memory_kb(server.pid)
        if args.client == "wrk":
            if args.think_ms:
                raise SystemExit("--think-ms needs --client aiohttp")
            runs = [drive_wrk(base, ep, utterances, args.clients, args.seconds) for ep in ("parse", "converse")]
        else:
            runs = [
                asyncio.run(drive(base, ep, utterances, args.clients, args.seconds, args.think_ms))
                for ep in ("parse", "converse")
            ]
        mem_after = memory_kb(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    converse = next(r for r in runs if r["endpoint"] == "/v1/converse")
    integrity = write_integrity(db, converse["requests"] - converse["errors"])
    result = {
        **header("load_server"),
        "writes": integrity,
        "note": "server and load generator share this machine's cores on loopback",
        "model": args.model,
        "locales": locales,
        "clients": args.clients,
        "client": args.client,
        "server_workers": args.workers,
        "think_ms": args.think_ms,
        "database": db.split("://")[0],
        "runs": runs,
        "server_memory_kb": {"after_warmup": mem_before, "after_load": mem_after},
    }
    lines = [
        "| endpoint | clients | requests | req/s | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['endpoint']} | {args.clients} | {r['requests']:,} | {r['throughput_per_s']:,.0f} | "
            f"{r['latency_ms']['p50']:.1f} | {r['latency_ms']['p90']:.1f} | {r['latency_ms']['p99']:.1f} | "
            f"{r['errors']} |"
        )
    lines.append(f"\nServer peak RSS: {mem_after.get('VmHWM', 0) / 1024:.0f} MB")
    lines.append(
        f"Writes ({db.split('://')[0]}, {args.workers} worker(s)): {integrity['logged_turns']:,} turns logged for "
        f"{integrity['answered']:,} answered; {integrity['sessions_with_lost_or_repeated_turns']} of "
        f"{integrity['sessions']} sessions with a lost or repeated turn"
    )
    write_result(args.name, result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
