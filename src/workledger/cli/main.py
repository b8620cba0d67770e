"""The people's command line: the ``cli`` group and its commands (the database, accounts,
tokens, items, the status file, archive, the journal). ``workledger.main`` adds the two
commands that start servers and runs it.

Only click is imported up front: each command imports what it needs when it runs, so
that ``--version`` and ``--help`` answer at once."""

from __future__ import annotations

import click

from workledger import __version__
from workledger.cli.items import items
from workledger.cli.ledgers import ledger
from workledger.cli.runtime import WholeHelp, acting, open_container, run_async, standard_input
from workledger.cli.status_file import import_file, report


@click.group(cls=WholeHelp, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="workledger")
def cli() -> None:
    """workledger: the project ledger for people and AI coding assistants."""


# --- db ------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@run_async
async def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from workledger.db import migrate

    async with open_container(migrate_first=False) as container:
        await migrate.upgrade(container.db.engine, revision)
        click.echo(f"database at {await migrate.current(container.db.engine) or 'base'}")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask before dropping tables and their data.")
@run_async
async def db_downgrade(revision: str, yes: bool) -> None:
    """Revert migrations down to REVISION ("base" empties the database)."""
    from workledger.db import migrate

    async with open_container(migrate_first=False) as container:
        where = container.settings.where().split(" · ")[0]
        if not yes and not click.confirm(
            f"Downgrading {where} to {revision} drops tables and the data in them. Go on?",
            err=True,
        ):
            raise click.ClickException("nothing was changed")
        await migrate.downgrade(container.db.engine, revision)
        click.echo(f"database at {await migrate.current(container.db.engine) or 'base'}")


@db.command("current")
@run_async
async def db_current() -> None:
    """Print the database's current revision and whether it is the newest."""
    from workledger.db import migrate

    async with open_container(migrate_first=False) as container:
        current = await migrate.current(container.db.engine)
        head = migrate.head()
        state = "up to date" if current == head else f"pending: upgrade to {head}"
        click.echo(f"{current or 'base'} ({state})")


# --- accounts and tokens ------------------------------------------------------------------


@cli.group()
def account() -> None:
    """Accounts."""


@account.command("create")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@run_async
async def account_create(email: str, password_stdin: bool) -> None:
    """Create an account for EMAIL (password: 8 characters or more)."""
    from workledger.schemas.account import AccountCreate

    if password_stdin:
        password = standard_input(one_line=True)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = AccountCreate.load({"email": email, "password": password})
    async with open_container() as container:
        created = await container.accounts.create(data)
    click.echo(f"created account {created.email} ({created.id})")


@account.command("password")
@click.argument("email", required=False)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@run_async
async def account_password(email: str | None, password_stdin: bool) -> None:
    """Set the password of EMAIL (default: WORKLEDGER_ACCOUNT), to sign in to the web
    pages as the account the command line and stdio MCP act as."""
    from workledger.schemas.account import AccountCreate

    if password_stdin:
        password = standard_input(one_line=True)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    async with open_container() as container:
        if email is None:
            await acting(container)  # the built-in local account exists once used
            email = container.settings.account_email
        data = AccountCreate.load({"email": email, "password": password})
        updated = await container.accounts.set_password(data)
    click.echo(f"password set for {updated.email}")


@cli.group()
def token() -> None:
    """API tokens of the current account (WORKLEDGER_ACCOUNT)."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'ci' or 'laptop'.")
@click.option(
    "--role",
    type=click.Choice(["reader", "member", "owner"]),
    help="Bind the token to the ledger (--ledger, else your default) with this role.",
)
@run_async
async def token_create(name: str, role: str | None) -> None:
    """Create an API token; it is printed once, alone on the last line.

    With --ledger or --role it serves that one ledger only, with at most your role there;
    without either it acts as your account on every ledger you belong to."""
    from workledger.schemas.account import ApiTokenCreate

    data = ApiTokenCreate.load({"name": name, "role": role})
    async with open_container() as container:
        actor = await acting(container)
        bound = role is not None or container.settings.ledger is not None
        created = await container.accounts.create_api_token(
            actor=actor, name=data.name, bound=bound, role=role
        )
    scope = (
        f"for ledger {created.ledger} as {created.role}" if created.ledger else "for every ledger"
    )
    click.echo(f"created API token {created.name!r} ({created.id}) {scope}; it is shown only once:")
    click.echo(created.token)


@token.command("list")
@run_async
async def token_list() -> None:
    """The account's API tokens: id, name, prefix, ledger and role, when created, last
    used, revoked."""
    async with open_container() as container:
        actor = await acting(container)
        tokens = await container.accounts.list_api_tokens(actor=actor)
    if not tokens:
        click.echo("no API tokens; create one with `workledger token create --name NAME`")
    for listed in tokens:
        used = f"{listed.last_used_at:%Y-%m-%d %H:%M}" if listed.last_used_at else "never"
        revoked = f"  revoked {listed.revoked_at:%Y-%m-%d %H:%M}" if listed.revoked_at else ""
        scope = f"{listed.ledger} as {listed.role}" if listed.ledger else "every ledger"
        click.echo(
            f"{listed.id}  {listed.name:<20} {listed.prefix}…  {scope}, created "
            f"{listed.created_at:%Y-%m-%d %H:%M}, last used {used}{revoked}"
        )


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@run_async
async def token_revoke(token_id: str) -> None:
    """Revoke the API token ID (see `workledger token list`): it stops working at once."""
    import uuid

    try:
        wanted = uuid.UUID(token_id)
    except ValueError:
        raise click.UsageError(
            f"{token_id!r} is not a token id: see `workledger token list`"
        ) from None
    async with open_container() as container:
        actor = await acting(container)
        revoked = await container.accounts.revoke_api_token(actor=actor, token_id=wanted)
    click.echo(f"revoked API token {revoked.name!r} ({revoked.id})")


# --- the status file and the archive -----------------------------------------------------

cli.add_command(report)
cli.add_command(import_file)
cli.add_command(items)
cli.add_command(ledger)


@cli.command(short_help="Move old completed (or deleted) subtrees out of the way.")
@click.option(
    "--older-than-days",
    default=365,
    show_default=True,
    type=click.IntRange(min=0),
    help="Archive closed work items untouched for at least this many days.",
)
@click.option(
    "--all-ledgers",
    "--all-accounts",
    "all_ledgers",
    is_flag=True,
    help="Every ledger's items, not only the current ledger's.",
)
@run_async
async def archive(older_than_days: int, all_ledgers: bool) -> None:
    """Move whole subtrees of completed (or deleted) work items to the archive table.

    Archived items leave every list and query (list_work_items with include_archived
    still shows them); restoring one brings it back with its subtree."""
    async with open_container() as container:
        ledger = None
        if not all_ledgers:
            actor = await acting(container)
            actor.require("member")
            ledger = actor.ledger_id
        result = await container.archive.archive(older_than_days=older_than_days, ledger_id=ledger)
    click.echo(
        f"{result.summary()} (closed and untouched since {result.cutoff:%Y-%m-%d %H:%M} UTC)"
    )


@cli.command(short_help="Writes journaled while PostgreSQL was away.")
@run_async
async def journal() -> None:
    """Writes journaled while PostgreSQL was away: how many wait, and the conflicts.

    Reads the journal in the data directory only, so it answers during an outage too.
    Conflicts are dismissed with DELETE /api/v1/conflicts/{id}."""
    from workledger.config import load_settings
    from workledger.fallback.journal import JOURNAL_FILE, Journal

    settings = load_settings()
    path = settings.data_dir / JOURNAL_FILE
    if not path.exists():
        click.echo("no journal here: nothing was written while the database was away")
        return
    kept = Journal(path)
    await kept.open()
    try:
        conflicts, total = await kept.conflicts_of(None, limit=1000)
        pending = kept.pending
    finally:
        await kept.close()
    click.echo(f"{pending} journaled writes wait for the database; {total} conflicts")
    for _, conflict in conflicts:
        record = f"{conflict.record_type} {conflict.record_id or ''}".strip()
        click.echo(
            f"\nconflict {conflict.id}\n  {record}, written by {conflict.actor} at "
            f"{conflict.journaled_at:%Y-%m-%d %H:%M:%S} UTC\n  {conflict.reason}"
        )
