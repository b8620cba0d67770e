"""REST under load: real servers on loopback, driven by wrk, held against the one-query ceiling.

    python -m bench.rest_load [--backend sqlite|postgresql|both] [--workers 1]
                              [--seconds 4] [--connections 16] [--rounds 2] [--items 200]

Each server runs pinned to CPU 0 and wrk (Debian's package, ``wrk -t1``) to CPU 1, as in
issue 14's side-by-side measure; the database's own processes go where the kernel puts
them. Every phase runs ``--seconds`` with ``--connections`` keep-alive connections, each
sending its next request as soon as the last one answered, after a one-second warm-up.

Measured, for each backend:

* ``ceiling`` (PostgreSQL): ``bench.ceiling``, a FastAPI route that runs one asyncpg
  ``SELECT`` by primary key on the same stack, random ids among ``--items``;
* ``GET one``: ``GET /api/v1/work-items/{id}``, the same ids, authenticated;
* ``GET list of 50``: ``GET /api/v1/work-items?limit=50``;
* ``POST create``: ``POST /api/v1/work-items``, a new task each time, all on one account;
* ``PATCH title``: ``PATCH /api/v1/work-items/{id}``, each seeded item in turn, with the
  version its last answer gave (409 otherwise, counted as non-2xx);
* SQLite: 8 writers alone, then 8 writers beside 4 readers (two wrk processes at once).

``--rounds`` alternates ceiling and workledger (A/B/A/B) and keeps each figure's best
round; the ratios to the ceiling are taken within that one run. Each line shows the
requests/s, wrk's latency percentiles, non-2xx answers and the server's CPU (100 % = one
core); the goals of issues 14 and 33 are printed beside the figures.

Server setups (``--workers``): ``workledger serve --workers N``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    BENCH_SECRET,
    add_backend_arguments,
    asyncpg_dsn,
    banner,
    free_port,
    open_app,
    scratch_database,
    selected_backends,
)
from workledger.schemas.work_item import WorkItemCreate

HOST = "127.0.0.1"
SERVER_CPU, CLIENT_CPU = "0", "1"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
WARMUP_SECONDS = 1
REPO_ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LIST_LIMIT = 50
SQLITE_WRITERS, SQLITE_READERS = 8, 4

# The goals (issues 14 and 33): share of the ceiling's requests/s, and the p99 of POST and
# PATCH at 16 writers.
GOALS = {"GET one": 0.50, "GET list of 50": 0.11, "POST create": 0.20, "PATCH title": 0.20}
POST_P99_GOAL_MS = 50.0
SQLITE_WRITERS_P99_GOAL_MS = 50.0


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    token: str
    item_ids: list[uuid.UUID]


async def seed(url: str, *, items: int) -> Seeded:
    """Migrate, then give the bench account ``items`` work items."""
    async with open_app(url) as app:
        kinds = ("project", "research", "session")
        ids = []
        for i in range(items):
            data = WorkItemCreate.load(
                {"item_type": kinds[i % 3], "title": f"item {i}", "tags": ["bench"]}
            )
            ids.append((await app.container.work_items.create(actor=app.actor, data=data)).id)
        token = app.container.accounts.issue_access_token(app.actor.account_id).access_token
        return Seeded(token=token, item_ids=ids)


# --- servers --------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    health: str

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


@contextmanager
def running(command: list[str], *, env: dict[str, str], port: int, health: str) -> Iterator[Server]:
    """``command`` pinned to the server's CPU, until it answers ``health``."""
    home = Path(tempfile.mkdtemp(prefix="workledger_bench_serve_"))
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        # An A/B run may point PYTHONPATH at another checkout: its servers run that code.
        **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
        "WORKLEDGER_DATA_DIR": str(home / ".workledger"),
        "WORKLEDGER_REPO_DIR": str(home),
        **env,
    }
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *command],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    server = Server(process, f"http://{HOST}:{port}", log_path, health)
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


@contextmanager
def workledger_server(url: str, *, workers: int) -> Iterator[Server]:
    port = free_port(HOST)
    command = [
        *(sys.executable, "-m", "workledger", "serve", "--host", HOST, "--port", str(port)),
        "--no-access-log",  # as the figures before it were taken: throughput, not logging
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {"WORKLEDGER_DATABASE_URL": url, "WORKLEDGER_JWT_SECRET": BENCH_SECRET}
    with running(command, env=env, port=port, health="/health") as server:
        yield server


@contextmanager
def ceiling_server(url: str) -> Iterator[Server]:
    port = free_port(HOST)
    command = [sys.executable, "-m", "bench.ceiling", "--host", HOST, "--port", str(port)]
    env = {"WORKLEDGER_BENCH_DSN": asyncpg_dsn(url), "PYTHONPATH": str(REPO_ROOT)}
    with running(command, env=env, port=port, health="/docs") as server:
        yield server


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the server exited:\n{server.log_tail()}")
        try:
            response = httpx.get(f"{server.base_url}{server.health}", timeout=2, trust_env=False)
            if response.is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer within {START_TIMEOUT_SECONDS:g} s")


# --- wrk ------------------------------------------------------------------------------------

# wrk runs this script once per thread. ``PATHS`` and the headers are filled in; ``done``
# prints one machine-readable line (latencies in microseconds).
WRK_SCRIPT = """
local paths = {%(paths)s}
local method = "%(method)s"
local index = 0
%(headers)s
-- PATCH: the version each item is at, read before the phase and then from the last
-- answer about it (one item's next change comes a whole round of paths later).
local versions = {%(versions)s}
request = function()
  index = index + 1
  local body = nil
  local path = paths[(index %% #paths) + 1]
  if method == "POST" then
    body = string.format('{"item_type": "task", "title": "load %%d-%%d"}', %(salt)d, index)
  elseif method == "PATCH" then
    local id = string.match(path, "work%%-items/([%%x%%-]+)")
    body = string.format('{"title": "patched %%d", "version": %%d}', index, versions[id])
  end
  return wrk.format(method, path, nil, body)
end
if method == "PATCH" then
  response = function(status, headers, body)
    local id = string.match(body, '"id":"([%%x%%-]+)"')
    local version = string.match(body, '"version":(%%d+)')
    if status == 200 and id and version then versions[id] = tonumber(version) end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Load:
    """What one wrk phase saw."""

    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return (
            f"{self.rate:7.0f} req/s  p50={self.p50_ms:6.2f}  p95={self.p95_ms:6.2f}  "
            f"p99={self.p99_ms:6.2f}  max={self.max_ms:7.2f} ms  non-2xx={self.non_2xx} "
            f"socket errors={self.socket_errors}  server CPU {100 * self.server_cpu:3.0f} %"
        )


def wrk_command(
    server: Server,
    paths: list[str],
    *,
    token: str | None,
    method: str = "GET",
    connections: int,
    seconds: float,
    script_dir: Path,
    versions: dict[str, int] | None = None,
) -> list[str]:
    headers = ['wrk.headers["Content-Type"] = "application/json"']
    if token is not None:
        headers.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    script = script_dir / f"load-{uuid.uuid4().hex}.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(json.dumps(path) for path in paths),
            "method": method,
            "headers": "\n".join(headers),
            "salt": random.randrange(1 << 30),
            "versions": ", ".join(f'["{k}"] = {v}' for k, v in (versions or {}).items()),
        }
    )
    return [
        "taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}",
        f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script), server.base_url,
    ]  # fmt: skip


def parse_wrk(output: str, server_cpu: float) -> Load:
    for line in output.splitlines():
        if line.startswith("WRK_RESULT "):
            requests, micros, status, sockets, p50, p95, p99, top = map(int, line.split()[1:])
            seconds = micros / 1e6
            return Load(
                requests=requests,
                seconds=seconds,
                non_2xx=status,
                socket_errors=sockets,
                p50_ms=p50 / 1000,
                p95_ms=p95 / 1000,
                p99_ms=p99 / 1000,
                max_ms=top / 1000,
                server_cpu=server_cpu / seconds,
            )
    raise SystemExit(f"wrk printed no result:\n{output}")


def load(server: Server, commands: list[list[str]]) -> list[Load]:
    """Run the wrk ``commands`` at once; what each saw, with the server's CPU share."""
    pids = server.pids()
    served = cpu_seconds(pids)
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for command in commands
    ]
    outputs = [process.communicate()[0] for process in processes]
    used = cpu_seconds(pids) - served
    return [parse_wrk(output, used) for output in outputs]


# --- phases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    name: str
    paths: list[str]
    method: str = "GET"
    connections: int | None = None  # None: --connections
    authenticated: bool = True


def phase_loads(
    server: Server,
    phases: list[Phase],
    *,
    token: str,
    args: argparse.Namespace,
    script_dir: Path,
) -> dict[str, Load]:
    found = {}
    for phase in phases:
        at = current_versions(server, phase.paths, token) if phase.method == "PATCH" else None

        def command(
            seconds: float, phase: Phase = phase, versions: dict[str, int] | None = at
        ) -> list[str]:
            return wrk_command(
                server,
                phase.paths,
                token=token if phase.authenticated else None,
                method=phase.method,
                connections=phase.connections or args.connections,
                seconds=seconds,
                script_dir=script_dir,
                versions=versions,
            )

        if phase.method == "GET":  # a warm-up: connections open, caches and plans made
            load(server, [command(WARMUP_SECONDS)])
        (found[phase.name],) = load(server, [command(args.seconds)])
        print(f"  {phase.name:<34} {found[phase.name].line()}", flush=True)
    return found


def current_versions(server: Server, paths: list[str], token: str) -> dict[str, int]:
    """The version each item of ``paths`` is at now, by id: what a PATCH phase starts from."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
        return {
            path.rsplit("/", 1)[1]: client.get(path).raise_for_status().json()["version"]
            for path in paths
        }


def best(rounds: list[dict[str, Load]]) -> dict[str, Load]:
    """Each figure's best round (highest requests/s)."""
    return {name: max((r[name] for r in rounds), key=lambda x: x.rate) for name in rounds[0]}


@dataclass(frozen=True)
class Result:
    backend: str
    workers: int
    loads: dict[str, Load]
    ceiling: Load | None

    def lines(self) -> list[str]:
        lines = []
        for name, found in self.loads.items():
            label = f"{name:<34} {self.backend:<10} workers={self.workers}"
            verdict = ""
            goal = GOALS.get(name)
            if self.ceiling is not None and goal is not None:
                share = found.rate / self.ceiling.rate
                verdict = f"  {100 * share:5.1f} % of the ceiling (goal >= {100 * goal:.0f} %: "
                verdict += "PASS)" if share >= goal else "MISS)"
            if name in ("POST create", "PATCH title"):
                verdict += f"  p99 goal < {POST_P99_GOAL_MS:g} ms: "
                verdict += "PASS" if found.p99_ms < POST_P99_GOAL_MS else "MISS"
            if name.startswith("SQLite") and "writers" in name and "readers" not in name:
                verdict += f"  p99 goal < {SQLITE_WRITERS_P99_GOAL_MS:g} ms: "
                verdict += "PASS" if found.p99_ms < SQLITE_WRITERS_P99_GOAL_MS else "MISS"
            lines.append(f"{label}  {found.line()}{verdict}")
        return lines


def workledger_phases(seeded: Seeded, backend: str) -> list[Phase]:
    picks = random.Random(42).choices(seeded.item_ids, k=2000)
    phases = [
        Phase("GET one", [f"/api/v1/work-items/{item_id}" for item_id in picks]),
        Phase("GET list of 50", [f"/api/v1/work-items?limit={LIST_LIMIT}"]),
        Phase("POST create", ["/api/v1/work-items"], method="POST"),
        # Each item changed in turn, with the version its last answer gave.
        Phase(
            "PATCH title",
            [f"/api/v1/work-items/{item_id}" for item_id in seeded.item_ids],
            method="PATCH",
        ),
    ]
    if backend == "sqlite":
        phases.append(
            Phase(
                f"SQLite {SQLITE_WRITERS} writers",
                ["/api/v1/work-items"],
                method="POST",
                connections=SQLITE_WRITERS,
            )
        )
    return phases


def mixed_sqlite(
    server: Server, seeded: Seeded, *, args: argparse.Namespace, script_dir: Path
) -> dict[str, Load]:
    """8 writers and 4 readers at once: two wrk processes, the same seconds."""
    picks = random.Random(7).choices(seeded.item_ids, k=2000)
    commands = [
        wrk_command(
            server,
            ["/api/v1/work-items"],
            token=seeded.token,
            method="POST",
            connections=SQLITE_WRITERS,
            seconds=args.seconds,
            script_dir=script_dir,
        ),
        wrk_command(
            server,
            [f"/api/v1/work-items/{item_id}" for item_id in picks],
            token=seeded.token,
            connections=SQLITE_READERS,
            seconds=args.seconds,
            script_dir=script_dir,
        ),
    ]
    writers, readers = load(server, commands)
    found = {
        f"SQLite {SQLITE_WRITERS} writers beside readers": writers,
        f"SQLite {SQLITE_READERS} readers beside writers": readers,
    }
    for name, figures in found.items():
        print(f"  {name:<34} {figures.line()}", flush=True)
    return found


async def bench_backend(backend: str, args: argparse.Namespace) -> list[Result]:
    results = []
    async with scratch_database(backend, keep=args.keep) as url:
        seeded = await seed(url, items=args.items)
        script_dir = Path(tempfile.mkdtemp(prefix="workledger_bench_wrk_"))
        picks = random.Random(42).choices(seeded.item_ids, k=2000)
        ceiling_phase = Phase("ceiling", [f"/items/{i}" for i in picks], authenticated=False)
        try:
            for workers in args.workers:
                ceilings, rounds = [], []
                for round_number in range(1, args.rounds + 1):
                    print(f" round {round_number}, workers={workers}", flush=True)
                    if backend == "postgresql":
                        with ceiling_server(url) as server:
                            ceilings.append(
                                phase_loads(
                                    server,
                                    [ceiling_phase],
                                    token=seeded.token,
                                    args=args,
                                    script_dir=script_dir,
                                )
                            )
                    with workledger_server(url, workers=workers) as server:
                        found = phase_loads(
                            server,
                            workledger_phases(seeded, backend),
                            token=seeded.token,
                            args=args,
                            script_dir=script_dir,
                        )
                        if backend == "sqlite":
                            found |= mixed_sqlite(server, seeded, args=args, script_dir=script_dir)
                        rounds.append(found)
                ceiling = best(ceilings)["ceiling"] if ceilings else None
                results.append(Result(backend, workers, best(rounds), ceiling))
        finally:
            shutil.rmtree(script_dir, ignore_errors=True)
    return results


async def run(args: argparse.Namespace) -> list[Result]:
    banner(
        f"rest_load: wrk -t1 -c{args.connections} on CPU {CLIENT_CPU}, server on CPU "
        f"{SERVER_CPU}; {args.items} work items, workers {args.workers}, "
        f"{args.rounds} rounds of {args.seconds:g} s per phase"
    )
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    results: list[Result] = []
    for backend in selected_backends(args.backend):
        results += await bench_backend(backend, args)
    banner("rest_load summary (each figure's best round)")
    for result in results:
        if result.ceiling is not None:
            print(f"{'ceiling (one asyncpg SELECT)':<34} {result.backend:<10} "
                  f"workers=1  {result.ceiling.line()}")  # fmt: skip
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
    p.add_argument("--workers", type=positive_int, nargs="+", default=[1])
    p.add_argument("--connections", type=positive_int, default=16)
    p.add_argument("--seconds", type=float, default=4.0, help="length of each timed phase")
    p.add_argument("--rounds", type=positive_int, default=2)
    p.add_argument("--items", type=positive_int, default=200)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if not 0 < args.seconds <= 60:
        parser().error("--seconds must be within (0, 60]")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
