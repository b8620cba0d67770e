"""The command line as a user runs it: a real subprocess on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.cli.process import run
from tests.support.commands import WORKLEDGER
from workledger.container import Container


def test_account_and_token_create(
    cli_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    created = run(
        "account",
        "create",
        "Carol@Example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=cli_env,
        stdin="correct horse\n",
    )
    assert created.returncode == 0, created.stderr
    assert "carol@example.com" in created.stdout

    again = run(
        "account",
        "create",
        "carol@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=cli_env,
        stdin="correct horse\n",
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr

    token = run(
        "token",
        "create",
        "--name",
        "laptop",
        cwd=tmp_path,
        env={**cli_env, "WORKLEDGER_ACCOUNT": "carol@example.com"},
    )
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip().splitlines()[-1]
    assert secret.startswith("wl_")
    assert " " not in secret


async def test_printed_token_authenticates_as_its_account(
    cli_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    token = run("token", "create", "--name", "ci", cwd=tmp_path, env=cli_env)
    assert token.returncode == 0, token.stderr
    principal = await container.accounts.resolve_bearer(token.stdout.strip().splitlines()[-1])
    local = await container.accounts.get_by_email("local@workledger.invalid")
    assert (principal.account_id, principal.token_name) == (local.id, "ci")


async def test_account_password_lets_the_local_account_sign_in(
    cli_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    """The account the CLI and stdio MCP act as gets a password, for the web pages."""
    short = run("account", "password", "--password-stdin", cwd=tmp_path, env=cli_env, stdin="x\n")
    assert short.returncode == 1
    assert short.stderr.count("\n") == 1
    assert "password" in short.stderr

    done = run(
        "account", "password", "--password-stdin", cwd=tmp_path, env=cli_env, stdin="s3cret-pass\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "password set for local@workledger.invalid"
    account = await container.accounts.authenticate(
        email="local@workledger.invalid", password="s3cret-pass"
    )
    assert account.email == "local@workledger.invalid"

    nobody = run(
        "account",
        "password",
        "nobody@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=cli_env,
        stdin="s3cret-pass\n",
    )
    assert nobody.returncode == 1
    assert "nobody@example.com" in nobody.stderr
    assert "Traceback" not in nobody.stderr


def test_user_errors_exit_1_with_one_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    short = run(
        "account",
        "create",
        "dan@example.com",
        "--password-stdin",
        cwd=tmp_path,
        env=cli_env,
        stdin="short\n",
    )
    assert short.returncode == 1
    assert "password" in short.stderr
    unknown = run(
        "token",
        "create",
        "--name",
        "x",
        cwd=tmp_path,
        env={**cli_env, "WORKLEDGER_ACCOUNT": "nobody@example.com"},
    )
    assert unknown.returncode == 1
    assert "WORKLEDGER_ACCOUNT" in unknown.stderr
    for result in (short, unknown):
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_usage_errors_exit_2(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert run("frobnicate", cwd=tmp_path, env=cli_env).returncode == 2
    assert run("token", "create", cwd=tmp_path, env=cli_env).returncode == 2


def test_db_commands(cli_env: dict[str, str], tmp_path: Path) -> None:
    current = run("db", "current", cwd=tmp_path, env=cli_env)
    assert current.returncode == 0, current.stderr
    assert "up to date" in current.stdout


def test_db_downgrade_and_upgrade_on_a_fresh_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKLEDGER_")}
    assert "base" in run("db", "current", cwd=tmp_path, env=env).stdout
    assert run("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / ".workledger" / "workledger.db").exists()
    assert "up to date" in run("db", "current", cwd=tmp_path, env=env).stdout
    down = run("db", "downgrade", "base", "--yes", cwd=tmp_path, env=env)
    assert down.returncode == 0, down.stderr
    assert "pending" in run("db", "current", cwd=tmp_path, env=env).stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WORKLEDGER_DATABASE_URL", "mysql://root@localhost/x"),
        ("WORKLEDGER_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/x"),
        ("WORKLEDGER_JWT_SECRET", "short"),
    ],
)
def test_bad_configuration_stops_with_one_line(tmp_path: Path, variable: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKLEDGER_")}
    result = run("token", "create", "--name", "x", cwd=tmp_path, env={**env, variable: value})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_the_console_script_and_the_module_both_run(tmp_path: Path) -> None:
    expected = f"workledger, version {version('workledger')}"
    for command in ([WORKLEDGER], [sys.executable, "-m", "workledger"]):
        done = subprocess.run(
            [*command, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert (done.returncode, done.stdout.strip()) == (0, expected), done.stderr
