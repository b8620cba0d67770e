"""The command server: a process that has imported what commands use, and forks a child
per command that becomes the caller's command (its streams, folder, environment, ignored
signals) and reports the exit status. The client, and why, is in ``workledger.launch``."""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import socket
import sys
from typing import Any

from workledger.launch import PACKAGE, RELAYED, which

IDLE_SECONDS = 600
TICK_SECONDS = 30
# Sub-packages no command imports: the servers' doors (``serve`` and ``mcp`` run in their
# own process), the migrations (run by file), and the entry points.
_NOT_PRELOADED = (
    *("__main__", "launch", "command_server", "migrations"),
    *("app", "serve", "api", "web", "mcp"),
)
# What commands import only when they run.
_LIBRARIES = (
    *("alembic.command", "alembic.runtime.migration", "alembic.script"),
    *("rich.console", "rich.progress", "rich.table", "getpass"),
    *("sqlalchemy.dialects.postgresql.asyncpg", "sqlalchemy.dialects.sqlite.aiosqlite"),
)


def serve(path: str) -> None:
    """Import what commands use, then fork a child per command until idle or stale."""
    import fcntl

    os.chdir("/")
    sys.path[:] = [entry for entry in sys.path if entry not in ("", ".")]
    lock = os.open(path.removesuffix(".sock") + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return  # another server is starting or serving
    _preload()
    watched = _watched_files()
    loaded = _stamps(watched)
    _unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(TICK_SECONDS)
    ours = os.stat(path).st_ino
    server = _Server(listener=listener, lock=lock, mine=which())
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    idle = 0
    try:
        while idle < IDLE_SECONDS and _still_ours(path, ours):
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                idle += TICK_SECONDS
                if _stamps(watched) != loaded:
                    return
                continue
            idle = 0
            if _stamps(watched) != loaded:
                lock = _leave(path, ours, lock)  # first: the next server can start at once
                conn.sendall(b"stale\n")
                conn.close()
                return
            server.take(conn)
    finally:
        _leave(path, ours, lock)
        listener.close()


def _leave(path: str, inode: int, lock: int) -> int:
    """Give up the socket and the lock (-1: given up already) before this process has
    finished exiting, so that a server started at once after takes both."""
    if _still_ours(path, inode):
        _unlink(path)
    if lock >= 0:
        os.close(lock)
    return -1


def _preload() -> None:
    """Import every module a command may use, set up the ORM's mappers, and freeze the
    lot out of the collector's walks: each child starts with all of it, shared with this
    process."""
    import gc
    import importlib
    import pkgutil

    import workledger
    from workledger.main import main as _entry  # noqa: F401  (the command line itself)

    def walk(package: Any, prefix: str) -> None:
        for found in pkgutil.iter_modules(package.__path__, prefix):
            if found.name.split(".")[1] in _NOT_PRELOADED:
                continue
            module = importlib.import_module(found.name)
            if found.ispkg:
                walk(module, found.name + ".")

    walk(workledger, "workledger.")
    for library in _LIBRARIES:
        importlib.import_module(library)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    gc.collect()
    gc.freeze()


def _watched_files() -> list[str]:
    """The files of the workledger modules this process loaded."""
    inside = PACKAGE + os.sep
    files = (getattr(module, "__file__", None) for module in list(sys.modules.values()))
    return sorted({real for f in files if f and (real := os.path.realpath(f)).startswith(inside)})


def _stamps(files: list[str]) -> dict[str, int]:
    """When each of ``files``, and each folder on the path, last changed: an edit, an
    upgrade or an installed package changes one of them."""
    folders = [entry for entry in sys.path if entry and os.path.isdir(entry)]
    stamps = {}
    for name in [*files, *folders]:
        try:
            stamps[name] = os.stat(name).st_mtime_ns
        except OSError:
            stamps[name] = -1
    return stamps


def _still_ours(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class _Server:
    """The listening server: what it hands each command to, and whom it serves."""

    def __init__(self, *, listener: socket.socket, lock: int, mine: str) -> None:
        self.listener, self.lock, self.mine = listener, lock, mine
        self.confined = _confinement(os.getpid())

    def take(self, conn: socket.socket) -> None:
        """Fork a child for the command on ``conn``, or refuse it (the client then runs
        it itself)."""
        try:
            request, fds = _receive(conn)
        except (OSError, ValueError, EOFError, TypeError):
            conn.close()
            return
        if request.get("which") != self.mine or not self._confined_as_this(conn):
            _refuse(conn, fds)
            return
        if os.fork() == 0:
            self.listener.close()
            os.close(self.lock)  # a command outliving this server must not hold its lock
            _run_child(conn, request, fds)  # never returns
        conn.close()
        for fd in fds:
            os.close(fd)

    def _confined_as_this(self, conn: socket.socket) -> bool:
        """Whether the client is this user, confined as this process is: the same
        namespaces, no-new-privileges and seccomp (a sandbox such as bubblewrap or
        landlock sets them). A command from a sandbox is never run outside it."""
        import struct

        if not hasattr(socket, "SO_PEERCRED") or not os.path.isdir("/proc/self/ns"):
            return True  # not Linux: nothing to compare by; the private folder decides
        size = struct.calcsize("3i")
        pid, uid, _gid = struct.unpack(
            "3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
        )
        return uid == os.getuid() and _confinement(pid) == self.confined


def _refuse(conn: socket.socket, fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):
        conn.sendall(b"refuse\n")
    conn.close()


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


def _confinement(pid: int) -> tuple[str, ...]:
    try:
        spaces = sorted(os.listdir(f"/proc/{pid}/ns"))
        links = [os.readlink(f"/proc/{pid}/ns/{space}") for space in spaces]
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            flags = [line for line in status if line.startswith(("NoNewPrivs", "Seccomp:"))]
    except OSError:
        return ("unknown", str(pid))  # never equal to another process's
    return (*links, *flags)


def _run_child(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """Become the caller's command: its streams, folder, environment and signals; run it;
    report its exit status. If that cannot be done, refuse: the client runs it."""
    code = 1
    try:
        _become_the_caller(request, fds)
    except (OSError, ValueError, KeyError, TypeError):
        try:
            conn.sendall(b"refuse\n")
        finally:
            os._exit(1)
    try:
        conn.sendall(f"pid {os.getpid()}\n".encode())
        _end_with_the_caller(conn)
        code = _run_command()
    finally:
        try:
            conn.sendall(f"exit {code}\n".encode())
        finally:
            os._exit(code)


def _become_the_caller(request: dict[str, Any], fds: list[int]) -> None:
    import io
    import time

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as Python's start-up does
    for signum in RELAYED[1:]:
        signal.signal(signum, signal.SIG_DFL)
    for signum in request["ignored"]:  # nohup's SIGHUP, a background job's SIGINT
        signal.signal(signum, signal.SIG_IGN)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
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
                encoding=setup["encoding"],
                errors=setup["errors"],
                newline="\n",  # as Python's own standard streams: no translation
                line_buffering=setup["line_buffering"],
                write_through=setup["write_through"],
            )
        )
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.argv = request["argv"]


def _end_with_the_caller(conn: socket.socket) -> None:
    """A client killed outright (SIGKILL, a timeout's kill) closes its end: the command
    it started ends too, as it would have with its process."""
    import threading

    def watch() -> None:
        with contextlib.suppress(OSError):
            while conn.recv(1):
                pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="caller", daemon=True).start()


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
