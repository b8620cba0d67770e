"""The mirror's copy, made by a helper process of its own.

Turning rows into values and back is Python work: on a thread of the serving process it
would hold the interpreter against the requests for the length of each copy, and their
answers would come slower the whole time (a tail of slow answers under a stream of
writes). The helper runs at a lower scheduling priority (``NICENESS``): where it has a
core to itself it costs the requests nothing, and where it shares theirs they go first.

The serving process starts the helper at its first copy and keeps it. Each copy is one
request on the helper's standard input (a JSON line: the database's URL, the mirror's
path, when the copy began, where a copy since the last starts) and one answer on its
standard output (what was copied and the CPU time it took, or why it failed). The helper ends when
its input closes, so a server that stops, or dies, takes its helper with it.

Run as ``python -m workledger.fallback.copier``; nothing else should start it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from workledger.db.failures import meaning
from workledger.fallback.mirror_copy import Copied, Engines, copy_database

log = logging.getLogger(__name__)

# How much less the helper counts than the requests (nice(1)): at 10 it gets about a tenth
# of a core that the serving process keeps busy.
NICENESS = 10


class CopyFailed(Exception):
    """A copy that did not complete; ``meaning`` as ``db.failures.meaning`` tells it
    (``"unavailable"``: the database, or the mirror's file, could not be had)."""

    def __init__(self, meaning: str | None, message: str) -> None:
        super().__init__(message)
        self.meaning = meaning


class Copier:
    """The serving process's handle on its helper: started at the first copy, and started
    again after one that failed to answer."""

    def __init__(self) -> None:
        self._helper: asyncio.subprocess.Process | None = None

    async def copy(
        self, source_url: str, target: Path, started: datetime, *, since: int | None
    ) -> tuple[Copied, float]:
        """Copy the database at ``source_url`` into the mirror file ``target``, whole or
        since an earlier copy (mirror_copy.py); what was copied, and the CPU seconds the
        copy took."""
        helper = await self._started()
        assert helper.stdin is not None  # both are pipes (_started)
        assert helper.stdout is not None
        request = {
            "source": source_url,
            "target": str(target),
            "started": started.isoformat(),
            "since": since,
        }
        try:
            helper.stdin.write(json.dumps(request).encode() + b"\n")
            await helper.stdin.drain()
            line = await helper.stdout.readline()
        except BaseException:  # given up (a copy that hung), or the helper is gone
            await self.close()
            raise
        if not line:
            await self.close()
            raise CopyFailed(None, "the mirror's copier ended before it answered")
        answer: dict[str, Any] = json.loads(line)
        if "failed" in answer:
            raise CopyFailed(answer["failed"], answer["message"])
        return Copied(**answer["copied"]), float(answer["worked"])

    async def _started(self) -> asyncio.subprocess.Process:
        if self._helper is None or self._helper.returncode is not None:
            self._helper = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                __name__,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        return self._helper

    async def close(self) -> None:
        """Stop the helper, at once: a copy under way is of no use to anyone any more."""
        helper, self._helper = self._helper, None
        if helper is None or helper.returncode is not None:
            return
        helper.kill()
        await helper.wait()


async def _answer(request: dict[str, Any], engines: Engines) -> dict[str, Any]:
    began = time.process_time()
    try:
        copied = await copy_database(
            engines.source(request["source"]),
            engines.target(Path(request["target"])),
            datetime.fromisoformat(request["started"]),
            since=request["since"],
        )
    except Exception as exc:
        log.debug("the mirror's copy failed", exc_info=True)
        await engines.dispose()
        return {"failed": meaning(exc), "message": f"{type(exc).__name__}: {exc}"}
    await engines.done()
    return {"copied": dataclasses.asdict(copied), "worked": time.process_time() - began}


def serve(requests: TextIO, answers: TextIO) -> None:
    """Answer each request in turn, on one event loop that keeps the engines."""
    engines = Engines()
    with asyncio.Runner() as runner:
        for line in requests:
            answer = runner.run(_answer(json.loads(line), engines))
            answers.write(json.dumps(answer) + "\n")
            answers.flush()


def main() -> None:
    os.nice(NICENESS)
    # Answers go down a copy of standard output; anything else that writes there (a
    # library's print) goes to standard error instead of into an answer.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Ctrl-C at a terminal reaches the server's whole process group: the server stops,
    # and its helper with it when its input closes, not halfway through an answer.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()
