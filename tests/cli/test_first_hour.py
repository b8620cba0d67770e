"""What a new user meets in a first hour (issue 12): one project in one place, whichever
directory they run from, and every mistake answered in one line without a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.cli.process import run
from tests.conftest import postgres_admin_url
from tests.support.commands import WORKLEDGER


def plain_env() -> dict[str, str]:
    """No WORKLEDGER_ settings at all: the embedded SQLite default, found by discovery."""
    return {k: v for k, v in os.environ.items() if not k.startswith("WORKLEDGER_")}


def one_line(done: subprocess.CompletedProcess[str], *, says: str, status: int = 1) -> None:
    assert done.returncode == status, (done.stdout, done.stderr)
    assert done.stderr.startswith(f"Error: {says}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_nearest_data_directory_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    project, nested = tmp_path / "project", tmp_path / "project" / "src" / "deep"
    nested.mkdir(parents=True)
    made = run("items", "add", "task", "Made at the top", cwd=project, env=plain_env())
    assert made.returncode == 0, made.stderr
    assert (project / ".workledger" / "workledger.db").exists()

    listed = run("items", "list", "--json", cwd=nested, env=plain_env())
    assert listed.returncode == 0, listed.stderr
    assert '"Made at the top"' in listed.stdout
    assert not (nested / ".workledger").exists()
    # The report goes to the project's status file, not into the subdirectory.
    assert run("report", cwd=nested, env=plain_env()).returncode == 0
    assert (project / ".project_status.md").exists()
    assert not (nested / ".project_status.md").exists()

    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    empty = run("items", "list", "--json", cwd=elsewhere, env=plain_env())
    assert (empty.returncode, empty.stdout.strip()) == (0, "[]")
    assert (elsewhere / ".workledger").is_dir()


def test_mcp_says_on_stderr_which_database_and_account_it_uses(tmp_path: Path) -> None:
    started = subprocess.run(
        [WORKLEDGER, "mcp"],
        cwd=tmp_path,
        env=plain_env(),
        input="",  # end of input: the server stops at once
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.stdout == ""  # the protocol's channel carries nothing else
    database = tmp_path / ".workledger" / "workledger.db"
    assert f"database sqlite+aiosqlite:///{database}" in started.stderr
    assert "account local@workledger.invalid" in started.stderr


def test_a_data_directory_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    env = {**plain_env(), "WORKLEDGER_DATA_DIR": "/proc/workledger"}
    done = run("items", "list", cwd=tmp_path, env=env)
    one_line(done, says="WORKLEDGER_DATA_DIR: cannot create /proc/workledger")


def test_an_unknown_revision_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    done = run("db", "upgrade", "9999", cwd=tmp_path, env=plain_env())
    one_line(done, says="invalid input: revision: no revision '9999': use head, base or one of")
    assert "0001" in done.stderr


def test_downgrade_asks_first_and_a_no_changes_nothing(tmp_path: Path) -> None:
    assert run("db", "upgrade", cwd=tmp_path, env=plain_env()).returncode == 0
    refused = subprocess.run(
        [WORKLEDGER, "db", "downgrade", "base"],
        cwd=tmp_path,
        env=plain_env(),
        input="n\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert "drops tables and the data in them" in refused.stderr
    assert "Error: nothing was changed" in refused.stderr
    assert "up to date" in run("db", "current", cwd=tmp_path, env=plain_env()).stdout


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"database": "workledger_no_such_database"}, "the database workledger_no_such_database "),
        ({"username": "workledger_no_such_role"}, "the server refuses the role "),
    ],
)
def test_a_missing_database_or_role_says_which(
    tmp_path: Path, change: dict[str, str], says: str
) -> None:
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL is not reachable")
    url = make_url(admin).set(**change).render_as_string(hide_password=False)
    done = run("items", "list", cwd=tmp_path, env={**plain_env(), "WORKLEDGER_DATABASE_URL": url})
    one_line(done, says=f"WORKLEDGER_DATABASE_URL: {says}")


def test_a_busy_port_is_refused_before_anything_says_it_serves(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        done = run("serve", "--port", port, cwd=tmp_path, env=plain_env())
    one_line(done, says=f"cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "workledger on http" not in done.stderr
