"""The ``workledger`` console script: a command starts at once because a warm process has
already imported the libraries (this module is its client; ``command_server`` the
server).

A command's own work takes a few tens of milliseconds; importing SQLAlchemy, pydantic and
workledger takes several hundred. So the first command starts, beside doing its work, a
*command server* in the background: a process that imports all that once, then waits on
a Unix socket that only this user may open. Each later command is a small client (the
standard library only): it hands the server its standard input, output and error (the
file descriptors themselves), its arguments, working directory, environment, umask and
the signals it ignores. The server forks; the child takes those as its own and runs the
command as this process would have, writing straight to the caller's terminal or pipe,
and reports the exit status, which the client exits with. SIGINT (Ctrl-C), SIGTERM,
SIGHUP and SIGQUIT the client receives are passed on to the child; a child whose client
is gone (killed outright) is ended.

- ``serve`` and ``mcp`` run in their own process, as does any command when
  ``WORKLEDGER_CLI_SERVER=off``, when a standard stream is closed, and when the server
  refuses (another user, another sandbox).
- A server serves one interpreter, one installed workledger and one set of Python
  start-up variables (its socket's name says which), exits after ten idle minutes, and
  steps aside as soon as the code it loaded changes on disk: that command, and the next,
  run here and start a fresh server.
"""

from __future__ import annotations

import marshal
import os
import signal
import socket
import sys

# The client imports as little as it can (not even typing): it is what a command waits on.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

OFF = {"off", "0", "false", "no"}
OWN_PROCESS = {"serve", "mcp"}  # long-lived servers, with their own signals and terminal
PACKAGE = os.path.dirname(os.path.realpath(__file__))
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
# What Python reads once as it starts (encodings, warnings, buffering): a server serves
# only the commands that would start the same way.
_START_UP = ("LANG", "LC_ALL", "LC_CTYPE")
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux


def main() -> None:
    argv = sys.argv[1:]
    if _warm_path_wanted(argv):
        code = _run_in_server(argv)
        if code is not None:
            sys.exit(code)
    from workledger.main import main as run_here

    run_here()


def _warm_path_wanted(argv: list[str]) -> bool:
    if os.environ.get("WORKLEDGER_CLI_SERVER", "").strip().lower() in OFF:
        return False
    if not hasattr(socket, "AF_UNIX") or not hasattr(socket, "send_fds"):
        return False
    return _command(argv) not in OWN_PROCESS


def _command(argv: list[str]) -> str | None:
    """The command's name: the first word that is not an option (nor --ledger's value)."""
    words = iter(argv)
    for word in words:
        if word == "--ledger":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


# --- the client ----------------------------------------------------------------------------


def which() -> str:
    """The interpreter, the workledger and the start-up variables a server runs with: a
    client uses only the server that matches its own."""
    from workledger import __version__

    start_up = sorted(
        f"{name}={value}"
        for name, value in os.environ.items()
        if name.startswith("PYTHON") or name in _START_UP
    )
    return "\0".join((sys.executable, PACKAGE, __version__, *start_up))


def socket_path(key: str) -> str | None:
    """The socket of the server ``key`` (``which()``) names, in a folder only this user may enter;
    None where there is no such folder (then every command runs in its own process)."""
    import stat
    import zlib

    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = (
        os.path.join(runtime, "workledger")
        if runtime
        else os.path.join(os.environ.get("TMPDIR") or "/tmp", f"workledger-{os.getuid()}")
    )
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    held = os.lstat(folder)
    if held.st_uid != os.getuid() or held.st_mode & 0o077 or not stat.S_ISDIR(held.st_mode):
        return None
    path = os.path.join(folder, f"{zlib.crc32(key.encode()):08x}.sock")
    return path if len(path) <= _MAX_SOCKET_PATH else None


def _run_in_server(argv: list[str]) -> int | None:
    """The command's exit status, run by the server; None when it must run here (no
    server yet, which is then started; one that went stale or refused)."""
    if None in (sys.stdin, sys.stdout, sys.stderr):  # a closed stream cannot be passed on
        return None
    try:
        cwd = os.getcwd()
    except OSError:  # a folder removed under the caller: the command says so itself
        return None
    key = which()
    path = socket_path(key)
    if path is None:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        _start_server(path)
        return None
    with conn, _Relay() as relay:
        request = {
            "which": key,
            "argv": [sys.argv[0], *argv],
            "cwd": cwd,
            "env": dict(os.environ),
            "umask": _umask(),
            "ignored": [int(signum) for signum in relay.ignored],
            "streams": [_stream_setup(stream) for stream in (sys.stdin, sys.stdout, sys.stderr)],
        }
        body = marshal.dumps(request)  # the same interpreter reads it
        message = len(body).to_bytes(8, "big") + body
        try:
            sent = socket.send_fds(conn, [message], [0, 1, 2])
            if sent < len(message):  # (even a send of nothing fails once the server hung
                conn.sendall(message[sent:])  # up, which it may have after running the command)
        except OSError:  # it hung up before it had the whole request: it left, ran nothing
            _start_server(path)
            return None
        return _await_exit(conn.makefile("rb"), path, relay)


class _Relay:
    """Passes the signals a command's caller gets (Ctrl-C, a kill) on to the child that
    runs it; those that come before the child is known wait for it. Signals this process
    ignores (``nohup``, a background job's Ctrl-C) stay ignored."""

    def __init__(self) -> None:
        self.child = 0
        self.received: list[int] = []
        self.before: dict[int, Any] = {}
        self.ignored = [s for s in RELAYED if signal.getsignal(s) is signal.SIG_IGN]

    def __enter__(self) -> _Relay:
        for signum in RELAYED:
            if signum not in self.ignored:
                self.before[signum] = signal.signal(signum, self._pass_on)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self.before.items():
            signal.signal(signum, handler)
        if not self.child:  # the command runs here after all: it gets them itself
            for signum in self.received:
                os.kill(os.getpid(), signum)

    def started(self, child: int) -> None:
        self.child = child
        for signum in self.received:
            self._kill(signum)

    def died_of_a_signal(self) -> None:
        """The child ended with no exit status after a signal: end the same way."""
        if self.child and self.received:
            signal.signal(self.received[-1], signal.SIG_DFL)
            os.kill(os.getpid(), self.received[-1])

    def _pass_on(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if self.child:
            self._kill(signum)

    def _kill(self, signum: int) -> None:
        try:  # noqa: SIM105 (contextlib would be one more import to wait on)
            os.kill(self.child, signum)
        except ProcessLookupError:
            pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stream_setup(stream: Any) -> dict[str, Any]:
    """What Python chose for this process's standard stream, for the child to match."""
    return {
        "encoding": stream.encoding,
        "errors": stream.errors,
        "line_buffering": stream.line_buffering,
        "write_through": stream.write_through,
    }


def _await_exit(replies: BinaryIO, path: str, relay: _Relay) -> int | None:
    try:
        first = replies.readline().split()
    except OSError:
        first = []
    if first[:1] != [b"pid"]:  # nothing of the command ran: it runs here
        if first[:1] != [b"refuse"]:  # the server left (its code changed, or idle)
            _start_server(path)
        return None
    relay.started(int(first[1]))
    try:
        last = replies.readline().split()
    except OSError:
        last = []
    if last[:1] == [b"exit"]:
        return int(last[1])
    relay.died_of_a_signal()
    sys.stderr.write("workledger: the command's process ended without an exit status\n")
    return 1


def _start_server(path: str) -> None:
    """Start the command server in the background, in a session of its own, its standard
    streams on /dev/null; ``-P``: nothing is imported from the folder it was started in."""
    code = f"from workledger.command_server import serve; serve({path!r})"
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:  # noqa: SIM105 (contextlib would be one more import to wait on)
        os.posix_spawn(
            sys.executable,
            [sys.executable, "-P", "-c", code],
            os.environ,
            file_actions=quiet,
            setsid=True,
        )
    except OSError:
        pass  # no server: every command runs in its own process, as it would anyway
