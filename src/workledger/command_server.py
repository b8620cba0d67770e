"""The command server: a process that has imported what commands use, and forks a child
per command that becomes the caller's command (its streams, folder, environment) and
reports the exit status. The client, and why, is in ``workledger.launch``."""

from __future__ import annotations

import marshal
import os
import signal
import socket
import sys
from typing import Any

from workledger.launch import PACKAGE, which

IDLE_SECONDS = 600
TICK_SECONDS = 30


def serve(path: str) -> None:
    """Import what commands use, then fork a child per command until idle or stale."""
    import fcntl

    lock = os.open(path.removesuffix(".sock") + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server is starting or serving
    _preload()
    loaded = _snapshot()
    _unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(TICK_SECONDS)
    ours = os.stat(path).st_ino
    mine = which()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    idle = 0
    try:
        while idle < IDLE_SECONDS and _still_ours(path, ours):
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                idle += TICK_SECONDS
                if _snapshot() != loaded:
                    return
                continue
            idle = 0
            if _snapshot() != loaded:
                conn.sendall(b"stale\n")
                conn.close()
                return
            _fork_command(listener, conn, mine)
    finally:
        if _still_ours(path, ours):
            _unlink(path)
        listener.close()


def _preload() -> None:
    """Import every module a command may use (not the servers' doors, which ``serve``
    runs in its own process), set up the ORM's mappers, and freeze the lot out of the
    collector's walks: each child then starts with all of it, shared with this process."""
    import gc
    import importlib
    import pkgutil

    import workledger
    from workledger.main import main as _entry  # noqa: F401  (the command line itself)

    skipped = (
        "__main__",
        "launch",
        "command_server",
        "migrations",
        "app",
        "serve",
        "api",
        "web",
        "mcp",
    )
    for found in pkgutil.walk_packages(workledger.__path__, "workledger."):
        if found.name.split(".")[1] not in skipped:
            importlib.import_module(found.name)
    for library in _LIBRARIES:
        importlib.import_module(library)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    gc.collect()
    gc.freeze()


# What commands import only when they run.
_LIBRARIES = (
    "alembic.command",
    "alembic.runtime.migration",
    "alembic.script",
    "rich.console",
    "rich.progress",
    "rich.table",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.dialects.sqlite.aiosqlite",
)


def _still_ours(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _unlink(path: str) -> None:
    import contextlib

    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _snapshot() -> dict[str, int]:
    """When each loaded workledger module, and each folder on the path, last changed: an
    edit, an upgrade or an installed package changes one of them."""
    files = [
        path
        for module in list(sys.modules.values())
        if (path := getattr(module, "__file__", None) or "").startswith(PACKAGE)
    ]
    folders = [entry for entry in sys.path if entry and os.path.isdir(entry)]
    stamps = {}
    for name in [*files, *folders]:
        try:
            stamps[name] = os.stat(name).st_mtime_ns
        except OSError:
            stamps[name] = -1
    return stamps


def _fork_command(listener: socket.socket, conn: socket.socket, mine: str) -> None:
    try:
        request, fds = _receive(conn)
    except (OSError, ValueError, EOFError, TypeError):
        conn.close()
        return
    if request.get("which") != mine:  # not this interpreter's workledger: run it there
        conn.close()
        for fd in fds:
            os.close(fd)
        return
    if os.fork() == 0:
        listener.close()
        _run_child(conn, request, fds)  # never returns
    conn.close()
    for fd in fds:
        os.close(fd)


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    conn.settimeout(5)
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ValueError("a request carries three file descriptors")
    size = int.from_bytes(data[:8], "big")
    body = bytearray(data[8:])
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise ValueError("the request ended early")
        body += more
    conn.settimeout(None)
    request = marshal.loads(body)
    if not isinstance(request, dict):
        raise ValueError("a request is a dict")
    return request, fds


def _run_child(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """Become the caller's command: its streams, folder, environment; run; report."""
    import io
    import time

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    code = 1
    try:
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        streams = []
        for fd, setup in enumerate(request["streams"]):
            raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
            streams.append(
                io.TextIOWrapper(
                    io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw),
                    encoding=setup.get("encoding") or "utf-8",
                    errors=setup.get("errors") or "strict",
                    line_buffering=fd == 2 or (fd == 1 and raw.isatty()),
                )
            )
        sys.stdin, sys.stdout, sys.stderr = streams
        sys.argv = request["argv"]
        conn.sendall(f"pid {os.getpid()}\n".encode())
        code = _run_command()
    finally:
        try:
            conn.sendall(f"exit {code}\n".encode())
        finally:
            os._exit(code)


def _run_command() -> int:
    """What ``python`` would exit with after running workledger's ``main``."""
    from workledger.main import main as run_here

    code: int
    try:
        run_here()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as Python's own exit does when it cannot flush
    return code & 0xFF
