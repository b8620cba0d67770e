"""What every command shares: settings, a migrated database, the acting account."""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from workledger.errors import NotFound, SettingsError, WorkledgerError

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    from workledger.config import Settings
    from workledger.container import Container
    from workledger.schemas.common import Actor

P = ParamSpec("P")
R = TypeVar("R")
CLI_CLIENT = "cli"


def run_async(func: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """Run an async command; known failures become one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        import asyncio

        try:
            return asyncio.run(func(*args, **kwargs))
        except (SettingsError, WorkledgerError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@asynccontextmanager
async def open_container(*, migrate_first: bool = True) -> AsyncIterator[Container]:
    """A container on a reachable database, migrated to head unless told otherwise."""
    from workledger.config import load_settings
    from workledger.container import Container
    from workledger.db import migrate

    settings = load_settings()
    container = Container.from_settings(settings)
    try:
        await _connect(settings, container)
        if migrate_first and not await migrate.is_current(container.db.engine):
            await migrate.upgrade(container.db.engine)
        # Start-up is over (main() turned the collector off for it): what it loaded lives
        # as long as the process, so it is frozen out of every later collection.
        gc.freeze()
        gc.enable()
        yield container
    finally:
        await container.close()


async def _connect(settings: Settings, container: Container) -> None:
    """A first connection; failing, one line naming the variable, not a driver trace."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    try:
        async with container.db.engine.connect():
            pass
    except (OSError, SQLAlchemyError) as exc:
        url = make_url(settings.resolved_database_url)
        where = url.render_as_string(hide_password=True)
        raise SettingsError(f"WORKLEDGER_DATABASE_URL: {_refusal(exc, url)} ({where})") from None


# What the server's refusal means, by SQLSTATE, and what to do about it.
_REFUSALS = {
    "3D000": "the database {database} does not exist: create it (createdb {database})",
    "28000": "the server refuses the role {username}: create it, or connect as another",
    "28P01": "the password of the role {username} is wrong",
    "57P03": "the server is starting up or shutting down: try again in a moment",
    "53300": "the server has too many clients: try again, or raise max_connections",
}


def _refusal(exc: BaseException, url: Any) -> str:
    """One line on why the first connection failed."""
    found: BaseException | None = exc
    while found is not None:
        state = getattr(found, "sqlstate", None)
        if isinstance(state, str) and state in _REFUSALS:
            return _REFUSALS[state].format(database=url.database, username=url.username)
        found = getattr(found, "orig", None) or found.__cause__
    reason = type(getattr(exc, "orig", None) or exc).__name__
    return f"cannot reach the database ({reason})"


async def acting_account(container: Container) -> Actor:
    """``WORKLEDGER_ACCOUNT`` (which must exist) or the built-in local account."""
    from workledger.config import LOCAL_ACCOUNT_EMAIL
    from workledger.schemas.common import Actor

    email = container.settings.account_email
    if email == LOCAL_ACCOUNT_EMAIL:
        account = await container.accounts.ensure(email)
    else:
        try:
            account = await container.accounts.get_by_email(email)
        except NotFound:
            raise SettingsError(
                f"WORKLEDGER_ACCOUNT: no account {email}; create it with "
                f"`workledger account create {email}`"
            ) from None
    return Actor(account_id=account.id, client=CLI_CLIENT)
