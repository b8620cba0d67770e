"""The change feed with a million events in the ledger.

    python -m bench.changes_feed [--backend postgresql|sqlite|both] [--events 1000000]
                                 [--iterations 300]

Bulk-loads ``--events`` events into the bench account's ledger (as a busy year of writes
would leave them: a few thousand work items, each changed many times), then asks for
``GET /api/v1/changes?after=N&limit=100`` through the real ASGI app (bearer token, no
network) with N drawn at random over the whole feed, so every page is 100 events from
somewhere in the million. Target: p95 < 20 ms.

It also times ``GET /api/v1/work-items/{id}/history`` for an item with a long history.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench.common import (
    UNCACHED,
    App,
    Stats,
    Target,
    add_backend_arguments,
    asyncpg_dsn,
    banner,
    command_line,
    measure,
    open_app,
    scratch_database,
    selected_backends,
    sqlite_path,
)
from workledger.app import create_app
from workledger.schemas.work_item import WorkItemCreate

TARGET = Target(ours_ms=20.0)
BATCH = 20_000
COLUMNS = (
    "ledger_id",
    "seq",
    "record_type",
    "record_id",
    "version",
    "action",
    "changes",
    "actor_client",
    "actor_account",
    "at",
)
ACTIONS = ("update", "update", "update", "claim", "comment")


def events(
    ledger_id: uuid.UUID, count: int, records: list[uuid.UUID], seed: int
) -> Iterator[tuple[object, ...]]:
    """``count`` events spread over ``records``, a minute or so apart, oldest first."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=365)
    versions = dict.fromkeys(records, 1)
    for seq in range(1, count + 1):
        record = rng.choice(records)
        versions[record] += 1
        action = rng.choice(ACTIONS)
        title = f"Title {seq}"
        changes = (
            {"comment": [None, {"id": str(uuid.uuid4()), "body": f"note {seq}"}]}
            if action == "comment"
            else {"title": [f"Title {seq - 1}", title], "priority": ["medium", "high"]}
        )
        yield (
            ledger_id,
            seq,
            "work_item",
            record,
            versions[record],
            action,
            changes,
            rng.choice(("claude-code", "web", "cli")),
            rng.choice(("ada@example.com", "grace@example.com")),
            start + timedelta(seconds=seq * 30),
        )


async def load_postgresql(
    url: str, ledger_id: uuid.UUID, rows: Iterator[tuple[object, ...]], count: int
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        batch: list[tuple[object, ...]] = []
        for row in rows:
            batch.append((*row[:6], json.dumps(row[6]), *row[7:]))
            if len(batch) == BATCH:
                await conn.copy_records_to_table("events", records=batch, columns=list(COLUMNS))
                batch = []
        if batch:
            await conn.copy_records_to_table("events", records=batch, columns=list(COLUMNS))
        await conn.execute(
            "INSERT INTO event_counters (ledger_id, seq) VALUES ($1, $2) "
            "ON CONFLICT (ledger_id) DO UPDATE SET seq = excluded.seq",
            ledger_id,
            count,
        )
        await conn.execute("VACUUM (ANALYZE) events")
    finally:
        await conn.close()


def load_sqlite(
    url: str, ledger_id: uuid.UUID, rows: Iterator[tuple[object, ...]], count: int
) -> None:
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=30)
    try:
        insert = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 10)})"
        conn.execute("BEGIN")
        for n, row in enumerate(rows, start=1):
            at = row[9]
            assert isinstance(at, datetime)
            conn.execute(
                insert,
                (
                    row[0].hex,  # type: ignore[attr-defined]
                    row[1],
                    row[2],
                    row[3].hex,  # type: ignore[attr-defined]
                    row[4],
                    row[5],
                    json.dumps(row[6]),
                    row[7],
                    row[8],
                    at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
                ),
            )
            if n % BATCH == 0:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
        conn.execute("COMMIT")
        conn.execute(
            "INSERT INTO event_counters (ledger_id, seq) VALUES (?, ?) "
            "ON CONFLICT (ledger_id) DO UPDATE SET seq = excluded.seq",
            (ledger_id.hex, count),
        )
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def seed(app: App, *, count: int, seed: int) -> list[uuid.UUID]:
    """Work items to hang the history on, then ``count`` events about them."""
    made = await app.container.work_items.create_many(
        actor=app.actor,
        items=[WorkItemCreate(item_type="task", title=f"Item {n}") for n in range(2_000)],
    )
    records = [m.id for m in made if not isinstance(m, Exception)]
    # The creates numbered their own events: the bulk load replaces them from 1.
    rows = events(app.actor.ledger_id, count, records, seed)
    started = time.perf_counter()
    if app.backend == "postgresql":
        conn = await asyncpg.connect(asyncpg_dsn(app.url))
        await conn.execute("DELETE FROM events")
        await conn.close()
        await load_postgresql(app.url, app.actor.ledger_id, rows, count)
    else:
        sqlite = sqlite3.connect(sqlite_path(app.url), isolation_level=None)
        sqlite.execute("DELETE FROM events")
        sqlite.close()
        await asyncio.to_thread(load_sqlite, app.url, app.actor.ledger_id, rows, count)
    print(f"  loaded {count:,} events in {time.perf_counter() - started:.1f} s", flush=True)
    return records


async def bench_backend(args: argparse.Namespace, backend: str) -> list[Stats]:
    async with scratch_database(backend, keep=args.keep) as url, open_app(url) as app:
        records = await seed(app, count=args.events, seed=args.seed)
        token = app.container.accounts.issue_access_token(app.actor.account_id).access_token
        rng = random.Random(args.seed)
        transport = httpx.ASGITransport(app=create_app(app.container))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:

            async def feed() -> None:
                after = rng.randrange(0, args.events - 100)
                answer = await client.get(f"/api/v1/changes?after={after}&limit=100")
                assert answer.status_code == 200, answer.text
                items = answer.json()["items"]
                assert len(items) == 100, len(items)
                assert items[0]["seq"] == after + 1, (items[0]["seq"], after)

            async def history() -> None:
                item = rng.choice(records)
                answer = await client.get(f"/api/v1/work-items/{item}/history?limit=50")
                assert answer.status_code == 200, answer.text

            return [
                await measure(
                    f"GET /api/v1/changes?after=N&limit=100 ({args.events:,} events)",
                    path=UNCACHED,
                    backend=backend,
                    call=feed,
                    n=args.iterations,
                    target=TARGET,
                ),
                await measure(
                    "GET /api/v1/work-items/{id}/history?limit=50",
                    path=UNCACHED,
                    backend=backend,
                    call=history,
                    n=args.iterations,
                    target=None,
                ),
            ]


async def run(args: argparse.Namespace) -> list[Stats]:
    banner(f"changes_feed: {args.events:,} events in one ledger, pages of 100 through the app")
    results: list[Stats] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(args, backend)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.changes_feed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--seed", type=int, default=7)
    return p


main = command_line(run, parser)

if __name__ == "__main__":
    main()
