"""Settings, read once from the environment (prefix ``WORKLEDGER_``) and ``.env``."""

from __future__ import annotations

import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from workledger.errors import SettingsError

LOCAL_ACCOUNT_EMAIL = "local@workledger.invalid"
MIN_SECRET_BYTES = 32
DATA_DIR_NAME = ".workledger"
STATUS_FILE_NAME = ".project_status.md"
DATABASE_FILE = "workledger.db"  # the embedded database, in the data directory


def project_root(start: Path | None = None) -> Path | None:
    """The nearest directory, from ``start`` (the working directory) up, that holds a
    ``.workledger/``: found as git finds ``.git`` (docs/reference/cli.md)."""
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:  # the working directory is gone
        return None
    for directory in (here, *here.parents):
        if (directory / DATA_DIR_NAME).is_dir():
            return directory
    return None


def _data_dir() -> Path:
    """The data directory of the project found from here, else in the working directory."""
    root = project_root()
    if root is None:
        try:
            root = Path.cwd()
        except OSError:
            return Path(DATA_DIR_NAME)
    return root / DATA_DIR_NAME


_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalize_database_url(url: str) -> str:
    """Map the accepted spellings onto the async driver URL; refuse anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _SCHEMES:
        raise ValueError(
            f"unsupported scheme {scheme!r}: use sqlite+aiosqlite://, postgresql:// "
            "or postgresql+asyncpg://"
        )
    return f"{_SCHEMES[scheme]}://{rest}"


# scheme://host[:port], as a browser sends it in Origin.
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?",
    re.IGNORECASE,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WORKLEDGER_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str | None = None
    # Without WORKLEDGER_DATA_DIR: the nearest .workledger/ here or above, else ./.workledger;
    # the repository and the status file default to that project's too.
    data_dir: Path = Field(default_factory=_data_dir)
    jwt_secret: str | None = Field(default=None, repr=False)
    access_token_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    account: str | None = None
    # The ledger the command line and stdio MCP act on (a slug); else the account's default.
    ledger: str | None = Field(default=None, max_length=100)
    # Without them: the directory that holds the data directory (the project's root), and
    # the status file there, also when WORKLEDGER_DATA_DIR names the data directory.
    repo_dir: Path = Field(default_factory=lambda fields: fields["data_dir"].parent)
    status_file: Path = Field(default_factory=lambda fields: fields["repo_dir"] / STATUS_FILE_NAME)
    # How old a copy the outage fallback's mirror may serve (docs/reference/outage.md); 0
    # serves none: reads then come from the status file, in git or on disk.
    cache_ttl_seconds: int = Field(default=1800, ge=0)
    db_pool_size: int = Field(default=20, ge=1, le=400)
    # `workledger serve` archives closed subtrees untouched for this long, once a day.
    archive_after_days: int = Field(default=365, ge=1)
    # The MCP tools offered: all, core, read-only, or tool names separated by commas.
    tools: str = "all"
    # Browser front ends on other origins that may call /api: exact origins, by commas.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _exact_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        origins = tuple(part.strip() for part in value.split(",") if part.strip())
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin like https://app.example.com or "
                    "http://localhost:3000 (exact origins separated by commas; no *, no path)"
                )
        # As a browser writes it in Origin: in lower case, without its scheme's own port.
        lowered = (origin.lower() for origin in origins)
        return tuple(o.removesuffix(":443" if o.startswith("https") else ":80") for o in lowered)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        return None if value is None else normalize_database_url(value)

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes long")
        return value

    @field_validator("account")
    @classmethod
    def _email_like(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError("must be an account email")
        return value.strip().lower() if value else None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.ensure_data_dir() / DATABASE_FILE}"

    @property
    def is_postgresql(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def account_email(self) -> str:
        return self.account or LOCAL_ACCOUNT_EMAIL

    @cached_property
    def signing_key(self) -> str:
        """The HS256 key: the configured secret, else one generated once into the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.ensure_data_dir() / "jwt-secret"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        secret = path.read_text().strip()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"WORKLEDGER_JWT_SECRET: {path} holds fewer than 32 bytes")
        return secret

    def ensure_data_dir(self) -> Path:
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"WORKLEDGER_DATA_DIR: cannot create {self.data_dir}: {exc.strerror or exc}"
            ) from None
        return self.data_dir

    def where(self) -> str:
        """Which database and account this process uses, for a line on stderr."""
        from sqlalchemy.engine import make_url

        url = make_url(self.resolved_database_url).render_as_string(hide_password=True)
        return f"database {url} · account {self.account_email}"


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings once; a bad value becomes one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "WORKLEDGER_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
