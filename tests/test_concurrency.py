"""One session, many processes: turns are serialised per session across processes (and machines), on
SQLite and on PostgreSQL, so that no write is lost and every turn has its own number."""

from __future__ import annotations

import multiprocessing as mp
import os
import uuid

import pytest
from assistant_helpers import NOW, ScriptedParser

from kiloglot.assistant import Assistant, Store

WORKERS, TURNS = 4, 6


def _parser() -> ScriptedParser:
    p = ScriptedParser(["en-US"])
    p.say("make a list called shopping", "lists_createoradd", 0.97, list_name="shopping")
    for w in range(WORKERS):
        for t in range(TURNS):
            p.say(f"add item{w}x{t} to my shopping list", "lists_createoradd", 0.97, list_name="shopping",
                  item=f"item{w}x{t}")  # fmt: skip
    return p


def _worker(url: str, session: str, w: int, start: mp.synchronize.Event) -> None:
    assistant = Assistant(_parser(), Store(url), clock=lambda: NOW)
    start.wait()
    for t in range(TURNS):
        assert assistant.converse(session, f"add item{w}x{t} to my shopping list", "en-US").action == "answer"


def run_concurrent_turns(url: str) -> tuple[Store, str]:
    session = f"c-{uuid.uuid4().hex}"
    store = Store(url)
    Assistant(_parser(), store, clock=lambda: NOW).converse(session, "make a list called shopping", "en-US")
    ctx = mp.get_context("spawn")  # separate interpreters, engines and connections, as server workers are
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(url, session, w, start)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    return store, session


def check(store: Store, session: str) -> None:
    items = store.get(session, "lists", "lists")["shopping"]["items"]
    expected = {f"item{w}x{t}" for w in range(WORKERS) for t in range(TURNS)}
    assert set(items) == expected and len(items) == len(expected), f"lost: {sorted(expected - set(items))}"
    state = store.load_session(session).state
    assert state["turn"] == WORKERS * TURNS + 1
    numbers = sorted(row.turn or 0 for row in store.turns(session, limit=1000))
    assert numbers == list(range(1, WORKERS * TURNS + 2)), "turn numbers repeat or are missing"


def test_concurrent_turns_of_one_session_lose_nothing_on_sqlite(tmp_path):
    store, session = run_concurrent_turns(f"sqlite:///{tmp_path / 'c.db'}")
    check(store, session)


@pytest.mark.skipif(
    not os.environ.get("KILOGLOT_TEST_POSTGRES_URL") and os.environ.get("KILOGLOT_REQUIRE_SERVICES") != "1",
    reason="no PostgreSQL server: run scripts/test_services.sh (make test does)",
)
def test_concurrent_turns_of_one_session_lose_nothing_on_postgresql():
    url = os.environ.get("KILOGLOT_TEST_POSTGRES_URL")
    assert url, "KILOGLOT_TEST_POSTGRES_URL is not set but services are required"
    store, session = run_concurrent_turns(url)
    check(store, session)
