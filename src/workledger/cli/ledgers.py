"""``workledger ledger …``: the ledgers you belong to, new ones, and their members."""

from __future__ import annotations

import click

from workledger.cli.runtime import (
    WholeHelp,
    acting,
    acting_principal,
    open_container,
    run_async,
)


@click.group(cls=WholeHelp, short_help="Ledgers a team shares, and who belongs to each.")
def ledger() -> None:
    """Ledgers a team shares, and who belongs to each (as WORKLEDGER_ACCOUNT)."""


@ledger.command("list")
@run_async
async def ledger_list() -> None:
    """Your ledgers, with your role in each; * marks the one commands act on."""
    async with open_container() as container:
        principal = await acting_principal(container)
        current = await acting(container, principal=principal)
        found = await container.ledgers.of(principal)
    for listed in found:
        mark = "*" if listed.id == current.ledger_id else " "
        click.echo(f"{mark} {listed.slug:<24} {listed.role.value:<7} {listed.name}")


@ledger.command("create")
@click.argument("slug")
@click.option("--name", help="A name people read (default: the slug).")
@run_async
async def ledger_create(slug: str, name: str | None) -> None:
    """Create the ledger SLUG (a-z, 0-9 and -, up to 40); you become its owner."""
    from workledger.schemas.ledger import LedgerCreate

    data = LedgerCreate.load({"slug": slug, "name": name})
    async with open_container() as container:
        created = await container.ledgers.create(await acting_principal(container), data)
    click.echo(f"created ledger {created.slug} ({created.id}); you are its owner")


@ledger.command("members")
@click.argument("slug")
@run_async
async def ledger_members(slug: str) -> None:
    """The members of ledger SLUG and their roles."""
    async with open_container() as container:
        actor = await acting(container, ledger=slug)
        members = await container.ledgers.members(actor)
    for member in members:
        click.echo(f"{member.email:<40} {member.role.value}")


@ledger.command("add-member")
@click.argument("slug")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["reader", "member", "owner"]))
@run_async
async def ledger_add_member(slug: str, email: str, role: str) -> None:
    """Give the account EMAIL the ROLE in ledger SLUG (owners only; it must exist)."""
    from workledger.schemas.ledger import MemberSet

    wanted = MemberSet.load({"role": role})
    async with open_container() as container:
        actor = await acting(container, ledger=slug)
        member = await container.ledgers.set_member(actor, email=email.lower(), role=wanted.role)
    click.echo(f"{member.email} is now {member.role.value} of {slug}")


@ledger.command("remove-member")
@click.argument("slug")
@click.argument("email")
@run_async
async def ledger_remove_member(slug: str, email: str) -> None:
    """Remove EMAIL from ledger SLUG (owners; or yourself, to leave). Their tokens stop
    working there at once."""
    async with open_container() as container:
        actor = await acting(container, ledger=slug)
        await container.ledgers.remove_member(actor, email=email.lower())
    click.echo(f"{email.lower()} is no longer a member of {slug}")
