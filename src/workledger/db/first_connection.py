"""A process's first connection: when it fails, one line that says why and what to do,
naming the setting, never a driver's trace."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from workledger.errors import SettingsError

# What the server's refusal means, by SQLSTATE, and what to do about it.
_REFUSALS = {
    "3D000": "the database {database} does not exist: create it (createdb {database})",
    "28000": "the server refuses the role {username}: create it, or connect as another",
    "28P01": "the password of the role {username} is wrong",
    "57P03": "the server is starting up or shutting down: try again in a moment",
    "53300": "the server has too many clients: try again, or raise max_connections",
}


async def connect_first(engine: AsyncEngine, database_url: str) -> None:
    """Open and close one connection, or raise SettingsError about WORKLEDGER_DATABASE_URL."""
    try:
        async with engine.connect():
            pass
    except (OSError, SQLAlchemyError) as exc:
        url = make_url(database_url)
        where = url.render_as_string(hide_password=True)
        raise SettingsError(f"WORKLEDGER_DATABASE_URL: {_refusal(exc, url)} ({where})") from None


def _refusal(exc: BaseException, url: URL) -> str:
    """One line on why the first connection failed."""
    found: BaseException | None = exc
    while found is not None:
        state = getattr(found, "sqlstate", None)
        if isinstance(state, str) and state in _REFUSALS:
            return _REFUSALS[state].format(database=url.database, username=url.username)
        found = getattr(found, "orig", None) or found.__cause__
    reason = type(getattr(exc, "orig", None) or exc).__name__
    return f"cannot reach the database ({reason})"
