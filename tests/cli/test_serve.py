"""``workledger serve`` on a fresh directory: migrates the embedded SQLite and answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.support.commands import WORKLEDGER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_migrates_and_reports_health(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKLEDGER_")}
    server = subprocess.Popen(
        [WORKLEDGER, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = json.load(r)
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.2)
        assert body == {
            "status": "ok",
            "database": "ok",
            "backend": "sqlite",
            "source": "database",
            "journal": {"pending": 0, "conflicts": 0},
            "mirror_synced_at": None,  # SQLite needs no mirror
        }
        assert (tmp_path / ".workledger" / "workledger.db").exists()
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    # uvicorn shuts down cleanly on SIGTERM, then re-raises the signal as its exit status.
    assert "Application shutdown complete" in stderr.decode()
