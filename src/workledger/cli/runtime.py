"""What every command shares: settings, a migrated database, the acting account."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from workledger.errors import NotFound, SettingsError, WorkledgerError

if TYPE_CHECKING:  # imported when a command runs, not when the CLI starts
    from pathlib import Path

    from workledger.config import Settings
    from workledger.container import Container
    from workledger.schemas.account import Principal
    from workledger.schemas.common import Actor

P = ParamSpec("P")
R = TypeVar("R")
CLI_CLIENT = "cli"


def standard_input(*, one_line: bool = False) -> str:
    """What standard input holds (its first line, without the line end, with
    ``one_line``); nothing when it is closed (``<&-``)."""
    if sys.stdin is None:
        return ""
    if one_line:
        return sys.stdin.readline().rstrip("\r\n")
    return sys.stdin.read()


def counted(count: int, noun: str) -> str:
    """``1 work item``, ``3 work items``: a count and its noun, singular or plural."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class WholeHelp(click.Group):
    """A command group whose ``--help`` lists each command with the first sentence of its
    help whole (wrapped to the width, never cut short with "..."); its subgroups too."""

    group_class = type  # subgroups made with @group.group() are WholeHelp as well

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


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
    from workledger.db.first_connection import connect_first

    settings = load_settings()
    new = _new_database(settings)
    container = Container.from_settings(settings)
    try:
        await connect_first(container.db.engine, settings.resolved_database_url)
        if migrate_first and not await migrate.is_current(container.db.engine):
            await migrate.upgrade(container.db.engine)
        # Start-up is over (main() turned the collector off for it): what it loaded lives
        # as long as the process, so it is frozen out of every later collection.
        gc.freeze()
        gc.enable()
        yield container
        if new is not None:  # said once the command did what it was asked
            click.echo(
                f"workledger: no project found here or above (no {new.parent.name}/): "
                f"started a new ledger database at {new}",
                err=True,
            )
    finally:
        await container.close()


def _new_database(settings: Settings) -> Path | None:
    """The SQLite file a command is about to create because no project was found from
    the working directory up (and none was configured); None otherwise."""
    from workledger.config import DATABASE_FILE, project_root

    configured = settings.database_url or "data_dir" in settings.model_fields_set
    if configured or project_root() is not None:
        return None
    path = settings.data_dir / DATABASE_FILE
    return None if path.exists() else path


async def acting(
    container: Container, *, ledger: str | None = None, principal: Principal | None = None
) -> Actor:
    """``WORKLEDGER_ACCOUNT`` (which must exist) or the built-in local account, in
    ``ledger``, else the one ``--ledger`` or ``WORKLEDGER_LEDGER`` names, else its default
    ledger. ``principal``: the account, when the command has it already."""
    principal = principal or await acting_principal(container)
    ledger = ledger or container.settings.ledger
    return await container.ledgers.actor(principal, ledger=ledger, client=CLI_CLIENT)


async def acting_principal(container: Container) -> Principal:
    """The account the command line acts as: ``WORKLEDGER_ACCOUNT`` (which must exist),
    or the built-in local account (made on first use)."""
    from workledger.config import LOCAL_ACCOUNT_EMAIL

    email = container.settings.account_email
    try:
        return await container.accounts.principal(email, create=email == LOCAL_ACCOUNT_EMAIL)
    except NotFound:
        raise SettingsError(
            f"WORKLEDGER_ACCOUNT: no account {email}; create it with "
            f"`workledger account create {email}`"
        ) from None


def set_ledger(_: click.Context, __: click.Parameter, value: str | None) -> None:
    """``--ledger``: what WORKLEDGER_LEDGER says, for this command."""
    if value:
        import os

        os.environ["WORKLEDGER_LEDGER"] = value


def with_ledger_option(group: click.Group, *, leaving_out: Collection[str] = ()) -> None:
    """Give every command of ``group`` (and its subgroups) ``--ledger SLUG``."""
    for command in [group, *group.commands.values()]:
        if command.name in leaving_out:
            continue
        if isinstance(command, click.Group) and command is not group:
            with_ledger_option(command)
            continue
        if not any(param.name == "ledger" for param in command.params):
            command.params.append(
                click.Option(
                    ["--ledger"],
                    metavar="SLUG",
                    expose_value=False,
                    is_eager=True,
                    callback=set_ledger,
                    help="The ledger to act on (else WORKLEDGER_LEDGER, else your default).",
                )
            )
