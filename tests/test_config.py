"""Settings are validated once; a bad value is one clear line naming the variable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from workledger.config import LOCAL_ACCOUNT_EMAIL, load_settings
from workledger.errors import SettingsError


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DATABASE_URL",
        "DATA_DIR",
        "JWT_SECRET",
        "ACCOUNT",
        "ACCESS_TOKEN_MINUTES",
        "CACHE_TTL_SECONDS",
        "REPO_DIR",
        "STATUS_FILE",
    ):
        monkeypatch.delenv(f"WORKLEDGER_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_embedded_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings()
    database = tmp_path.resolve() / ".workledger" / "workledger.db"
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{database}"
    assert stat.S_IMODE((tmp_path / ".workledger").stat().st_mode) == 0o700
    assert settings.account_email == LOCAL_ACCOUNT_EMAIL
    assert settings.access_token_minutes == 60


def test_a_named_data_dir_brings_its_project_along(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A client that starts elsewhere (Claude Desktop) names only the data directory: the
    repository whose git state is reported, and the status file, are that project's."""
    project = tmp_path / "myproject"
    monkeypatch.setenv("WORKLEDGER_DATA_DIR", str(project / ".workledger"))
    monkeypatch.chdir(tmp_path / "..")
    settings = load_settings()
    assert settings.repo_dir == project
    assert settings.status_file == project / ".project_status.md"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_url_spellings(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("WORKLEDGER_DATABASE_URL", given)
    assert load_settings().resolved_database_url == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WORKLEDGER_DATABASE_URL", "mysql://root@localhost/db"),
        ("WORKLEDGER_DATABASE_URL", "not a url"),
        ("WORKLEDGER_JWT_SECRET", "too-short"),
        ("WORKLEDGER_ACCESS_TOKEN_MINUTES", "soon"),
        ("WORKLEDGER_ACCESS_TOKEN_MINUTES", "0"),
        ("WORKLEDGER_ACCOUNT", "no-at-sign"),
        ("WORKLEDGER_CACHE_TTL_SECONDS", "-1"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WORKLEDGER_ACCOUNT=Dev@Example.com\n")
    assert load_settings().account_email == "dev@example.com"


def test_jwt_secret_is_generated_once_with_private_permissions(tmp_path: Path) -> None:
    first = load_settings().signing_key
    second = load_settings().signing_key
    secret_file = tmp_path / ".workledger" / "jwt-secret"
    assert first == second == secret_file.read_text().strip()
    assert len(first.encode()) >= 32
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_configured_jwt_secret_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKLEDGER_JWT_SECRET", "k" * 32)
    assert load_settings().signing_key == "k" * 32
    assert not (tmp_path / ".workledger" / "jwt-secret").exists()
