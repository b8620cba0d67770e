"""REST under load: a real server on a loopback port, driven by an asyncio httpx client.

    python -m bench.rest_load [--backend sqlite|postgresql|both] [--workers 1 2]
                              [--seconds 4] [--clients 16 64] [--items 200] [--tasks 50]

Measured: ``GET /api/v1/work-items/{id}`` (random ids among ``--items``) and the todo
list ``GET /api/{user_id}/tasks`` (``--tasks`` tasks, the whole list every time; skipped
with a note when the server answers 404). For each backend, server setup and endpoint:

1. saturation: closed loop, ``--clients`` concurrent clients, each sending its next
   request as soon as the last one answered, ``--seconds`` per level; the best level's
   requests/s is the saturation throughput;
2. latency at half of it: open loop, requests started on a fixed schedule at half the
   saturation rate for ``--seconds``, whatever the answers' pace; p50/p95/p99 in ms,
   timed from each request's scheduled start, so waiting in the client counts too.

Server setups (``--workers``): 1 is ``workledger serve`` itself, one process. The project
exposes no app factory for ``uvicorn --workers``, so N > 1 runs N uvicorn worker processes
on ``app_factory`` here, which builds the app as ``workledger serve`` does (same settings,
container, ``gc.freeze()``). Not through ``uvicorn --workers`` itself: the socket it binds
for its workers leaves ``proto`` at 0, so asyncio never sets TCP_NODELAY on accepted
connections and each keep-alive request waits ~40 ms for a delayed ACK (uvicorn issue
#3149); ``serve_workers`` binds the socket as TCP instead.

Client and server share this machine's CPUs, and so does anything else running: each line
shows the CPU the client and the server used (100 % = one core), so a client-bound figure
shows as such, and the section titles show the load average. Everything stays on
127.0.0.1; every phase is bounded in time and in requests.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from bench.common import (
    BENCH_SECRET,
    add_backend_arguments,
    banner,
    free_port,
    open_app,
    percentiles,
    scratch_database,
    selected_backends,
)
from workledger.config import load_settings
from workledger.container import Container
from workledger.schemas.work_item import WorkItemCreate

HOST = "127.0.0.1"
PORT_ENV = "WORKLEDGER_BENCH_PORT"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
WARMUP_SECONDS = 1.0
KEEPALIVE_SECONDS = 3.0
MAX_REQUESTS_PER_PHASE = 200_000
REPO_ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def app_factory() -> FastAPI:
    """The app of ``workledger serve``, for ``uvicorn --factory`` (settings from the
    environment; the database must already be migrated)."""
    from workledger.api.app import create_app

    container = Container.from_settings(load_settings())
    gc.freeze()
    return create_app(container, host=HOST, port=int(os.environ.get(PORT_ENV, "8000")))


def serve_workers(workers: int, port: int) -> None:
    """``uvicorn --workers`` on ``app_factory``, with a listening socket bound as TCP."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        f"{__name__}:app_factory",
        factory=True,
        host=HOST,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    token: str
    account_id: uuid.UUID
    item_ids: list[uuid.UUID]


async def seed(url: str, *, items: int, tasks: int) -> Seeded:
    """Migrate, then give the bench account ``items`` work items and ``tasks`` tasks."""
    async with open_app(url) as app:
        kinds = ("project", "research", "session")
        ids = []
        for i in range(items):
            data = WorkItemCreate.load(
                {"item_type": kinds[i % 3], "title": f"item {i}", "tags": ["bench"]}
            )
            ids.append((await app.container.work_items.create(actor=app.actor, data=data)).id)
        for i in range(tasks):
            data = WorkItemCreate.load({"item_type": "task", "title": f"task {i}"})
            await app.container.work_items.create(actor=app.actor, data=data)
        token = app.container.accounts.issue_access_token(app.actor.account_id).access_token
        return Seeded(token=token, account_id=app.actor.account_id, item_ids=ids)


# --- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        return [self.process.pid, *children_of(self.process.pid)]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of ``pids`` (0 for any that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def server_command(workers: int, port: int) -> list[str]:
    if workers == 1:
        return [sys.executable, "-m", "workledger", "serve", "--host", HOST, "--port", str(port)]
    code = f"from bench.rest_load import serve_workers; serve_workers({workers}, {port})"
    return [sys.executable, "-c", code]


@contextmanager
def running_server(url: str, *, workers: int) -> Iterator[Server]:
    home = Path(tempfile.mkdtemp(prefix="workledger_bench_serve_"))
    port = free_port(HOST)
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "WORKLEDGER_DATABASE_URL": url,
        "WORKLEDGER_JWT_SECRET": BENCH_SECRET,
        "WORKLEDGER_DATA_DIR": str(home / ".workledger"),
        "WORKLEDGER_REPO_DIR": str(home),
        PORT_ENV: str(port),
    }
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(workers, port), cwd=REPO_ROOT, env=env, stdout=log, stderr=log
        )
    server = Server(process, f"http://{HOST}:{port}", log_path)
    try:
        wait_until_up(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the server exited:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2, trust_env=False).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer within {START_TIMEOUT_SECONDS:g} s")


# --- load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """What one timed phase did: requests, failures, wall time, and CPU used."""

    requests: int
    errors: int
    seconds: float
    client_cpu: float
    server_cpu: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def cpu(self) -> str:
        client = 100 * self.client_cpu / self.seconds
        server = 100 * self.server_cpu / self.seconds
        return f"CPU client {client:3.0f} % server {server:3.0f} %"


@asynccontextmanager
async def measured(server: Server) -> AsyncIterator[Callable[[int, int, list[float]], Phase]]:
    """Times the block; the block ends by calling the yielded function with its counts."""
    pids = server.pids()
    wall, client, served = time.perf_counter(), time.process_time(), cpu_seconds(pids)

    def finish(requests: int, errors: int, latencies: list[float]) -> Phase:
        return Phase(
            requests,
            errors,
            time.perf_counter() - wall,
            time.process_time() - client,
            cpu_seconds(pids) - served,
            latencies,
        )

    yield finish


def http_client(server: Server, token: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {token}"},
        # uvicorn closes connections idle for 5 s; httpx keeps them 5 s too, and reusing one
        # the server is closing fails (ReadError). Drop idle ones first.
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
        ),
        timeout=30,
        trust_env=False,  # never a proxy: loopback only
    )


FAILURES: dict[str, int] = {}


async def get(client: httpx.AsyncClient, path: str) -> bool:
    """One request; False (and the reason counted in FAILURES) unless it answered 200."""
    try:
        response = await client.get(path)
    except httpx.HTTPError as exc:
        reason = type(exc).__name__
    else:
        if response.status_code == 200:
            return True
        reason = f"HTTP {response.status_code}"
    FAILURES[reason] = FAILURES.get(reason, 0) + 1
    return False


async def closed_loop(
    client: httpx.AsyncClient, server: Server, paths: list[str], *, clients: int, seconds: float
) -> Phase:
    deadline = time.monotonic() + seconds
    counts = [0, 0]  # requests, errors

    async def one_client(offset: int) -> None:
        index = offset
        while time.monotonic() < deadline and counts[0] < MAX_REQUESTS_PER_PHASE:
            ok = await get(client, paths[index % len(paths)])
            index += clients
            counts[0] += 1
            counts[1] += not ok

    async with measured(server) as finish:
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        return finish(counts[0], counts[1], [])


async def open_loop(
    client: httpx.AsyncClient, server: Server, paths: list[str], *, rate: float, seconds: float
) -> Phase:
    total = min(int(rate * seconds), MAX_REQUESTS_PER_PHASE)
    latencies: list[float] = []
    errors = [0]

    async def one(path: str, scheduled: float) -> None:
        ok = await get(client, path)
        latencies.append((time.perf_counter() - scheduled) * 1000)
        errors[0] += not ok

    async with measured(server) as finish:
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(paths[i % len(paths)], scheduled)))
        await asyncio.gather(*tasks)
        return finish(total, errors[0], latencies)


@dataclass(frozen=True)
class Result:
    endpoint: str
    backend: str
    workers: int
    saturation: Phase
    clients: int
    half: Phase

    def lines(self) -> list[str]:
        label = f"{self.endpoint:<32} {self.backend:<10} workers={self.workers}"
        sat, half = self.saturation, self.half
        p50, p95, p99 = percentiles(half.latencies_ms)
        return [
            f"{label}  saturation {sat.rate:7.0f} req/s  ({self.clients} clients, "
            f"n={sat.requests}, errors={sat.errors}, {sat.cpu()})",
            f"{label}  at {half.rate:5.0f} req/s  n={half.requests:<6} p50={p50:8.2f}  "
            f"p95={p95:8.2f}  p99={p99:8.2f} ms  (errors={half.errors}, {half.cpu()})",
        ]


async def measure_endpoint(
    server: Server,
    token: str,
    paths: list[str],
    *,
    name: str,
    backend: str,
    workers: int,
    levels: list[int],
    seconds: float,
) -> Result:
    async with http_client(server, token, max(levels)) as client:
        await closed_loop(client, server, paths, clients=max(levels), seconds=WARMUP_SECONDS)
        best: tuple[Phase, int] | None = None
        for clients in levels:
            phase = await closed_loop(client, server, paths, clients=clients, seconds=seconds)
            print(
                f"  {name} {backend} workers={workers}: {clients:3d} clients "
                f"{phase.rate:7.0f} req/s (errors={phase.errors}, {phase.cpu()})",
                flush=True,
            )
            if best is None or phase.rate > best[0].rate:
                best = (phase, clients)
        assert best is not None
        half = await open_loop(client, server, paths, rate=best[0].rate / 2, seconds=seconds)
    result = Result(name, backend, workers, best[0], best[1], half)
    for line in result.lines():
        print(line, flush=True)
    if FAILURES:
        print(f"  failed requests: {FAILURES}; the server's log ends with:\n{server.log_tail()}")
        FAILURES.clear()
    return result


async def tasks_route_exists(server: Server, token: str, path: str) -> bool:
    async with http_client(server, token, 1) as client:
        response = await client.get(path)
    if response.status_code == 404:
        print(f"  note: GET {path} answers 404: the tasks route is not there, skipped")
        return False
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return True


async def bench_backend(backend: str, args: argparse.Namespace) -> list[Result]:
    results = []
    async with scratch_database(backend, keep=args.keep) as url:
        seeded = await seed(url, items=args.items, tasks=args.tasks)
        picks = random.Random(args.seed).choices(seeded.item_ids, k=10_000)
        item_paths = [f"/api/v1/work-items/{item_id}" for item_id in picks]
        task_path = f"/api/{seeded.account_id}/tasks"
        for workers in args.workers:
            with running_server(url, workers=workers) as server:
                endpoints = [("GET /api/v1/work-items/{id}", item_paths)]
                if await tasks_route_exists(server, seeded.token, task_path):
                    endpoints.append((f"GET /api/{{user_id}}/tasks ({args.tasks})", [task_path]))
                for name, paths in endpoints:
                    results.append(
                        await measure_endpoint(
                            server,
                            seeded.token,
                            paths,
                            name=name,
                            backend=backend,
                            workers=workers,
                            levels=args.clients,
                            seconds=args.seconds,
                        )
                    )
    return results


async def run(args: argparse.Namespace) -> list[Result]:
    banner(
        f"rest_load: {args.items} work items, {args.tasks} tasks, workers {args.workers}, "
        f"clients {args.clients}, {args.seconds:g} s per phase"
    )
    results: list[Result] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(backend, args)
    banner("rest_load summary")
    for result in results:
        for line in result.lines():
            print(line)
    return results


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.rest_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_backend_arguments(p)
    p.add_argument("--workers", type=positive_int, nargs="+", default=[1, 2])
    p.add_argument("--clients", type=positive_int, nargs="+", default=[16, 64])
    p.add_argument("--seconds", type=float, default=4.0, help="length of each timed phase")
    p.add_argument("--items", type=positive_int, default=200)
    p.add_argument("--tasks", type=int, default=50)
    p.add_argument("--seed", type=int, default=42)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if not 0 < args.seconds <= 60:
        parser().error("--seconds must be within (0, 60]")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
