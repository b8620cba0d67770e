"""What a test may ask of the machine's processes, read from /proc: which live, their state,
command line and parent, and a bounded wait for something about them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def pids() -> list[int]:
    """The live processes (one that ended may linger as a zombie of its parent)."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and alive(int(name))]


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie nobody reaped yet."""
    return state(pid) not in ("Z", "X", "?")


def state(pid: int) -> str:
    """``ps``'s one-letter state; ``?`` for a process that is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def until(check: Callable[[], object], *, seconds: float = 30) -> object:
    """``check()`` once it is true, or its last answer when ``seconds`` have passed (a
    loaded machine may take a while)."""
    deadline = time.monotonic() + seconds
    while not (answer := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer
