"""The command server (``workledger.launch`` and ``command_server``): after the first
command, commands run in a child of a warm process; they must answer exactly as a command
in its own process does, take the caller's input and signals, and pick up changed code at
once."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import workledger.cli.items
from tests.cli.process import in_shell, run
from tests.support import processes
from tests.support.commands import WORKLEDGER
from tests.support.processes import until

SERVER = "from workledger.command_server import serve"


@pytest.fixture
def served(cli_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The environment of commands with a command-server folder of their own (short: a
    socket's path holds at most ~100 bytes)."""
    runtime = tempfile.mkdtemp(prefix="wl-")
    yield cli_env | {"XDG_RUNTIME_DIR": runtime}
    shutil.rmtree(runtime, ignore_errors=True)  # its server leaves within half a minute


def alone(env: dict[str, str]) -> dict[str, str]:
    return env | {"WORKLEDGER_CLI_SERVER": "off"}


def servers(env: dict[str, str]) -> set[int]:
    """The command servers of ``env``'s folder: the processes started to serve there, not
    the children they fork for commands (which show the same command line)."""
    folder = str(Path(env["XDG_RUNTIME_DIR"]) / "workledger")
    matching = {
        pid
        for pid in processes.pids()
        if SERVER in (line := processes.cmdline(pid)) and folder in line
    }
    return {pid for pid in matching if processes.parent(pid) not in matching}


def server_of(env: dict[str, str]) -> int | None:
    return min(servers(env), default=None)


def wait_for_server(env: dict[str, str], *, other_than: int | None = None) -> int:
    """The server the last command started, once it listens (it imports first; a loaded
    machine may take a while)."""
    sockets = Path(env["XDG_RUNTIME_DIR"]) / "workledger"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = servers(env) - {other_than}
        if found and any(sockets.glob("*.sock")):
            return min(found)
        time.sleep(0.1)
    raise AssertionError("no command server started")


def ignoring_termination() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)


def waiting_on_input(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], int, str]:
    """A command that waits for its standard input: a pipe this test holds open (its
    write end, and the name the pipe has in /proc)."""
    read_end, write_end = os.pipe()
    pipe = os.readlink(f"/proc/self/fd/{read_end}")
    command = subprocess.Popen(
        [WORKLEDGER, "account", "create", "kim@example.com", "--password-stdin"],
        cwd=cwd,
        env=env,
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(read_end)
    return command, write_end, pipe


def test_a_command_through_the_server_answers_as_one_in_its_own_process(
    served: dict[str, str], tmp_path: Path
) -> None:
    first = run("items", "add", "task", "Ship the command server", cwd=tmp_path, env=served)
    assert first.returncode == 0, first.stderr
    wait_for_server(served)
    for args in (
        ("items", "list", "--json"),
        ("items", "list"),
        ("items", "show", first.stdout.strip()),
        ("items", "show", "nope"),  # refused: exit status 1, one line on stderr
        ("items", "frobnicate"),  # click's usage error: exit status 2
        ("--version",),
    ):
        through, own = (
            run(*args, cwd=tmp_path, env=served),
            run(*args, cwd=tmp_path, env=alone(served)),
        )
        assert (through.returncode, through.stdout, through.stderr) == (
            own.returncode,
            own.stdout,
            own.stderr,
        ), args
    assert "Ship the command server" in run("items", "list", cwd=tmp_path, env=served).stdout


def test_the_command_runs_in_the_servers_child_with_the_callers_input(
    served: dict[str, str], tmp_path: Path
) -> None:
    run("items", "list", cwd=tmp_path, env=served)
    server = wait_for_server(served)
    command, write_end, pipe = waiting_on_input(served, tmp_path)
    try:
        running = until(lambda: holders(pipe, command))
        assert isinstance(running, dict)
        assert server in running.values(), running  # a child of the server reads the input
        os.write(write_end, b"correct horse battery\n")
    finally:
        os.close(write_end)
    out, err = command.communicate(timeout=30)
    assert command.returncode == 0, err
    assert out.startswith("created account kim@example.com")


def holders(pipe: str, command: subprocess.Popen[str]) -> dict[int, int]:
    """Every process holding the command's input besides its client and this test, with
    its parent: who runs the command."""
    found = {}
    for pid in processes.pids():
        if pid in (os.getpid(), command.pid):
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == pipe:
                    found[pid] = processes.parent(pid)
        except OSError:
            continue
    return found


def test_off_runs_every_command_in_its_own_process(served: dict[str, str], tmp_path: Path) -> None:
    for _ in range(2):
        assert run("items", "list", cwd=tmp_path, env=alone(served)).returncode == 0
    time.sleep(1)
    assert server_of(served) is None
    assert not list((Path(served["XDG_RUNTIME_DIR"]) / "workledger").glob("*.sock"))


def test_a_signal_to_the_command_ends_the_command_it_started(
    served: dict[str, str], tmp_path: Path
) -> None:
    # The server is started by a command that ignores SIGTERM and SIGINT (a background
    # job, say): the commands it runs later must not inherit that.
    subprocess.run(
        [WORKLEDGER, "items", "list"],
        cwd=tmp_path,
        env=served,
        capture_output=True,
        check=True,
        preexec_fn=ignoring_termination,
    )
    wait_for_server(served)
    command, write_end, pipe = waiting_on_input(served, tmp_path)
    try:
        assert until(lambda: holders(pipe, command)), "the command never started in the server"
        command.send_signal(signal.SIGTERM)
        command.communicate(timeout=30)
        assert command.returncode == -signal.SIGTERM  # as a process killed by it
        assert until(lambda: not holders(pipe, command)), "the command went on without its caller"
    finally:
        os.close(write_end)


def test_code_changed_on_disk_is_used_by_the_next_command(
    served: dict[str, str], tmp_path: Path
) -> None:
    run("items", "list", cwd=tmp_path, env=served)
    before = wait_for_server(served)
    source = Path(workledger.cli.items.__file__)
    stamp = source.stat()
    try:  # as an edit or an upgrade would: the file the server loaded is newer
        os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
        listed = run("items", "list", cwd=tmp_path, env=served)
        assert listed.returncode == 0, listed.stderr
        after = wait_for_server(served, other_than=before)
    finally:
        os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert after != before
    assert until(lambda: before not in processes.pids()), "the stale server stayed"


@contextlib.contextmanager
def stand_in(served: dict[str, str], tmp_path: Path) -> Iterator[tuple[socket.socket, int]]:
    """A listening socket in the place of ``served``'s command server, which is killed
    first: a stand-in that behaves as the test needs (with the killed server's pid)."""
    run("--version", cwd=tmp_path, env=served)
    killed = wait_for_server(served)
    (path,) = (Path(served["XDG_RUNTIME_DIR"]) / "workledger").glob("*.sock")
    os.kill(killed, signal.SIGKILL)
    assert until(lambda: killed not in processes.pids()), "the server did not die"
    path.unlink()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        listener.listen(1)
        yield listener, killed


def test_a_server_that_hangs_up_on_a_request_is_followed_by_a_fresh_one(
    served: dict[str, str], tmp_path: Path
) -> None:
    """A server that leaves (its code changed, or idle) may close a command's connection
    while the request is still on its way: the command runs itself, and starts the next
    server, as it does when a server answers that it left."""
    with stand_in(served, tmp_path) as (leaving, killed):
        # A request larger than the socket's buffer: the command is still sending when
        # this "server" hangs up, whichever of the two runs first.
        bulky = served | {f"BULK_{n}": "x" * 100_000 for n in range(4)}
        command = subprocess.Popen(
            [WORKLEDGER, "--version"], cwd=tmp_path, env=bulky, stdout=subprocess.PIPE, text=True
        )
        conn, _ = leaving.accept()
        time.sleep(0.5)
        conn.close()
    out, _ = command.communicate(timeout=60)
    assert command.returncode == 0
    assert out.startswith("workledger, version")
    assert wait_for_server(served, other_than=killed)


def test_a_server_that_answers_and_hangs_up_at_once_is_believed(
    served: dict[str, str], tmp_path: Path
) -> None:
    """A quick command (``--version``) may be over, its server's side of the connection
    closed, before its client looks again: the answer in hand counts, and the command never
    runs a second time in the client. (The client used to send nothing once more after its
    request, which fails once the server has hung up: a loaded machine printed a version
    twice. Here that depends on which process runs first, so this may pass on that code.)"""
    with stand_in(served, tmp_path) as (quick, _):
        command = subprocess.Popen(
            [WORKLEDGER, "--version"], cwd=tmp_path, env=served, stdout=subprocess.PIPE, text=True
        )
        conn, _ = quick.accept()
        with conn:  # as a server does: the whole request, then the answer
            size = int.from_bytes(conn.recv(8, socket.MSG_WAITALL), "big")
            assert len(conn.recv(size, socket.MSG_WAITALL)) == size
            conn.sendall(b"pid 1\nexit 3\n")
    out, _ = command.communicate(timeout=60)
    assert (command.returncode, out) == (3, "")


def test_a_command_in_a_removed_folder_answers_in_one_line(
    served: dict[str, str], tmp_path: Path
) -> None:
    run("--version", cwd=tmp_path, env=served)
    wait_for_server(served)
    gone = tmp_path / "gone"
    gone.mkdir()
    done = in_shell(
        f'cd "{gone}" && rmdir "{gone}" && exec "{WORKLEDGER}" items list',
        cwd=tmp_path,
        env={k: v for k, v in served.items() if k != "WORKLEDGER_DATABASE_URL"},
    )
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("Error: "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_input_reaches_the_command_byte_for_byte(served: dict[str, str], tmp_path: Path) -> None:
    made = run("items", "add", "task", "Keep line ends", cwd=tmp_path, env=served).stdout.strip()
    wait_for_server(served)
    said = "first line\r\nsecond\rthird"
    for env in (served, alone(served)):
        done = run("items", "comment", made, "-", cwd=tmp_path, env=env, stdin=said)
        assert done.returncode == 0, done.stderr
    shown = json.loads(run("items", "show", made, "--json", cwd=tmp_path, env=served).stdout)
    bodies = [comment["body"] for comment in shown["comments"]]
    assert bodies == [said, said], bodies  # the same through the server as in its own process


def test_a_signal_the_caller_ignores_stays_ignored(served: dict[str, str], tmp_path: Path) -> None:
    run("items", "list", cwd=tmp_path, env=served)
    wait_for_server(served)
    read_end, write_end = os.pipe()
    command = subprocess.Popen(  # as under nohup: SIGHUP ignored
        [WORKLEDGER, "account", "create", "lee@example.com", "--password-stdin"],
        cwd=tmp_path,
        env=served,
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    pipe = os.readlink(f"/proc/self/fd/{read_end}")
    os.close(read_end)
    try:
        assert until(lambda: holders(pipe, command)), "the command never started in the server"
        command.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert command.poll() is None, "SIGHUP ended the client"
        assert holders(pipe, command), "SIGHUP ended the command"
        os.write(write_end, b"correct horse battery\n")
    finally:
        os.close(write_end)
    out, err = command.communicate(timeout=30)
    assert command.returncode == 0, err
    assert out.startswith("created account lee@example.com")


def test_a_caller_killed_outright_takes_its_command_along(
    served: dict[str, str], tmp_path: Path
) -> None:
    run("items", "list", cwd=tmp_path, env=served)
    wait_for_server(served)
    command, write_end, pipe = waiting_on_input(served, tmp_path)
    try:
        assert until(lambda: holders(pipe, command)), "the command never started in the server"
        command.kill()  # SIGKILL: nothing to pass on
        command.communicate(timeout=30)
        assert until(lambda: not holders(pipe, command)), "the command went on without its caller"
    finally:
        os.close(write_end)


def test_a_closed_standard_input_is_answered_as_in_its_own_process(
    served: dict[str, str], tmp_path: Path
) -> None:
    made = run("items", "add", "task", "Say nothing", cwd=tmp_path, env=served).stdout.strip()
    wait_for_server(served)
    answers = []
    for env in (served, alone(served)):
        done = in_shell(f'exec "{WORKLEDGER}" items comment {made} - <&-', cwd=tmp_path, env=env)
        answers.append((done.returncode, done.stdout, done.stderr))
    assert answers[0] == answers[1]
    status, out, err = answers[0]
    assert (status, out) == (1, ""), answers[0]
    assert err.startswith("Error: invalid input: TEXT: a comment needs some text"), err
