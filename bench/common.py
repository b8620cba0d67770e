"""What every benchmark shares: backend choice, scratch databases, the app, the timer."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import make_url

from workledger.config import load_settings
from workledger.container import Container
from workledger.db import migrate
from workledger.db.change_watcher import NoWatcher
from workledger.schemas.common import Actor
from workledger.serve import settle_for_serving
from workledger.services.read_cache import ReadCache
from workledger.services.work_item import WorkItemService

ADMIN_URL_ENV = "WORKLEDGER_BENCH_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_PREFIX = "workledger_bench_"
BENCH_EMAIL = "bench@example.com"
BENCH_CLIENT = "bench"
BENCH_SECRET = "x" * 40
BACKENDS = ("sqlite", "postgresql")


# --- command line ---------------------------------------------------------------------------


def add_backend_arguments(
    parser: argparse.ArgumentParser, *, default: str = "both", keep: bool = True
) -> None:
    parser.add_argument(
        "--backend",
        choices=(*BACKENDS, "both"),
        default=default,
        help=f"which database to run on (default: {default})",
    )
    if not keep:
        return
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch database (SQLite file or PostgreSQL database) and print its URL",
    )


class Main(Protocol):
    def __call__(self, argv: list[str] | None = None) -> None: ...


def command_line(
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, object]],
    parser: Callable[[], argparse.ArgumentParser],
) -> Main:
    """A benchmark's ``main``: parse the arguments, then run it on a fresh event loop."""

    def main(argv: list[str] | None = None) -> None:
        asyncio.run(run(parser().parse_args(argv)))

    return main


def selected_backends(choice: str) -> list[str]:
    return list(BACKENDS) if choice == "both" else [choice]


def backend_of(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


def banner(title: str) -> None:
    """A section title, with the load average: other processes skew every figure."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n== {title}  [load average {load}, {os.cpu_count()} CPUs]", flush=True)


# --- databases ------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now, for a server a benchmark starts."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def admin_url() -> str:
    return os.environ.get(ADMIN_URL_ENV, DEFAULT_ADMIN_URL)


def asyncpg_dsn(url: str) -> str:
    """A URL asyncpg itself accepts (no ``+asyncpg`` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


@asynccontextmanager
async def scratch_database(backend: str, *, keep: bool = False) -> AsyncIterator[str]:
    """A fresh, empty database URL: a file in a temp dir, or ``workledger_bench_<random>``."""
    if backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix=DATABASE_PREFIX))
        try:
            yield f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        finally:
            if keep:
                print(f"kept SQLite database: {directory / 'bench.db'}", flush=True)
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    admin = admin_url()
    name = DATABASE_PREFIX + uuid.uuid4().hex[:12]
    await _admin_execute(admin, f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(drivername="postgresql+asyncpg", database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        yield rendered
    finally:
        if keep:
            print(f"kept PostgreSQL database: {rendered}", flush=True)
        else:
            await _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin_execute(admin: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(admin))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# --- the application ------------------------------------------------------------------------


@dataclass
class App:
    """A migrated database, the container over it, and the bench account's actor."""

    url: str
    backend: str
    container: Container
    actor: Actor


@asynccontextmanager
async def open_app(url: str) -> AsyncIterator[App]:
    """Build the app the way the doors do, migrate, and act as ``bench@example.com``."""
    data_dir = Path(tempfile.mkdtemp(prefix="workledger_bench_data_"))
    settings = load_settings(database_url=url, data_dir=data_dir, jwt_secret=BENCH_SECRET)
    container = Container.from_settings(settings)
    try:
        await migrate.upgrade(container.db.engine)
        principal = await container.accounts.principal(BENCH_EMAIL)
        actor = await container.ledgers.actor(principal, ledger=None, client=BENCH_CLIENT)
        settle_for_serving()  # as `workledger serve` does once it has started
        yield App(url=url, backend=backend_of(url), container=container, actor=actor)
    finally:
        await container.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def served(database_url: str, home: Path, *, secret: str = BENCH_SECRET) -> Iterator[str]:
    """A real ``workledger serve`` on ``database_url`` (its log in ``home/serve.log``);
    its base URL as soon as it is started: callers wait for /health themselves."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "WORKLEDGER_DATABASE_URL": database_url,
        "WORKLEDGER_JWT_SECRET": secret,
        "WORKLEDGER_DATA_DIR": str(home / ".workledger"),
        "WORKLEDGER_REPO_DIR": str(home),
    }
    workledger = str(Path(sys.executable).with_name("workledger"))
    command = [workledger, "serve", "--port", str(port), "--no-access-log"]  # timed, not logged
    with (home / "serve.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# --- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A p95 bound in milliseconds: ours, and the design's when it names one."""

    ours_ms: float
    design_ms: float | None = None

    def verdict(self, p95_ms: float) -> str:
        text = f"target p95 < {self.ours_ms:g} ms {_pass(p95_ms, self.ours_ms)}"
        if self.design_ms is not None:
            text += f" (design < {self.design_ms:g} ms {_pass(p95_ms, self.design_ms)})"
        return text


def _pass(value: float, bound: float) -> str:
    return "PASS" if value < bound else "MISS"


# Which read path a measure times: the read cache's hit, the first read after any
# commit (what a cache miss costs), or a read that no cache serves.
CACHED = "cached"
AFTER_COMMIT = "first read after a commit"
UNCACHED = "no cache"


def uncached_work_items(app: App) -> WorkItemService:
    """The work item service without its read cache: every read takes the path of the
    first read after a commit (the database's)."""
    return WorkItemService(app.container.db, read_cache=ReadCache(NoWatcher()))


@dataclass(frozen=True)
class Stats:
    row: str  # what was measured, the same on every backend
    path: str  # CACHED, AFTER_COMMIT or UNCACHED
    backend: str
    n: int
    p50: float
    p95: float
    p99: float
    target: Target | None
    full_collections: int = 0

    @property
    def name(self) -> str:
        return f"{self.row} ({self.path})"

    def line(self) -> str:
        verdict = self.target.verdict(self.p95) if self.target else "no target"
        return (
            f"{self.name:<56} {self.backend:<10} n={self.n:<5} "
            f"p50={self.p50:9.3f}  p95={self.p95:9.3f}  p99={self.p99:9.3f} ms  {verdict}"
            f"  [gen2 GCs: {self.full_collections}]"
        )


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 (inclusive method: values stay inside the observed range)."""
    if len(samples_ms) == 1:
        return samples_ms[0], samples_ms[0], samples_ms[0]
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


async def measure(
    row: str,
    *,
    path: str,
    backend: str,
    call: Callable[[], Awaitable[object]],
    n: int,
    target: Target | None,
    warmup: int | None = None,
) -> Stats:
    """Run ``call`` ``warmup`` times untimed, then ``n`` times timed; print one line.

    The line also counts the full (generation 2) garbage collections that ran while
    timing: each walks the whole heap and shows up in the tail percentiles."""
    for _ in range(max(1, n // 10) if warmup is None else warmup):
        await call()
    gc.collect()
    full = [0]

    def count_full(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full[0] += 1

    samples: list[float] = []
    gc.callbacks.append(count_full)
    try:
        for _ in range(n):
            started = time.perf_counter_ns()
            await call()
            samples.append((time.perf_counter_ns() - started) / 1e6)
    finally:
        gc.callbacks.remove(count_full)
    p50, p95, p99 = percentiles(samples)
    stats = Stats(row, path, backend, n, p50, p95, p99, target, full[0])
    print(stats.line(), flush=True)
    return stats


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)
