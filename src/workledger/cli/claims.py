"""``workledger items claim``, ``items release``, ``items next`` and ``items log``: taking
work under a lease, dropping it, taking the next ready item in one step, and recording
what the work cost (docs/reference/cli.md). What the commands need beyond click is
imported when they run."""

from __future__ import annotations

import click

from workledger.cli.runtime import acting, open_container, run_async

LEASE = click.option(
    "--lease",
    "lease_seconds",
    type=click.IntRange(30, 86_400),
    default=1800,
    show_default=True,
    help="Seconds the claim holds unless claimed again.",
)


@click.command("claim", short_help="Take an item under a lease, or renew your lease.")
@click.argument("item_id", metavar="ID")
@LEASE
@run_async
async def claim(item_id: str, lease_seconds: int) -> None:
    """Take an item to work on it, or renew your lease on it: its assignee becomes this
    command line's client name, for your account."""
    from workledger.cli.items import item_line, ref

    async with open_container() as container:
        actor = await acting(container)
        claimed = await container.work_items.claim(
            actor=actor, item_id=ref(item_id), lease_seconds=lease_seconds
        )
    click.echo(f"{item_line(claimed)}  (until {claimed.claimed_until:%Y-%m-%d %H:%M} UTC)")


@click.command("release", short_help="Drop your claim on an item.")
@click.argument("item_id", metavar="ID")
@run_async
async def release(item_id: str) -> None:
    """Drop your claim on an item without completing it (an owner may drop anyone's)."""
    from workledger.cli.items import item_line, ref

    async with open_container() as container:
        actor = await acting(container)
        released = await container.work_items.release(actor=actor, item_id=ref(item_id))
    click.echo(item_line(released))


@click.command("next", short_help="The best ready item nobody holds; --claim takes it.")
@click.option("--claim", "take", is_flag=True, help="Claim it too, in the same step.")
@click.option("--type", "item_type", type=click.Choice(["task", "research"]))
@click.option("--tag", help="Only items with this tag.")
@click.option("--parent", "parent_id", metavar="ID", help="Only the children of this item.")
@LEASE
@click.option("--json", "as_json", is_flag=True, help="Print the record (or null) as JSON.")
@run_async
async def next_item(take: bool, as_json: bool, **wanted: object) -> None:
    """The best ready item nobody holds (the --ready order); with --claim, take it too.
    Exits 1, saying so, when nothing is ready."""
    import json

    from workledger.cli.items import item_line
    from workledger.schemas.work_item import ClaimNext

    chosen = ClaimNext.load({k: v for k, v in wanted.items() if v is not None}, text=True)
    async with open_container() as container:
        actor = await acting(container)
        if take:
            found = await container.work_items.claim_next(actor=actor, wanted=chosen)
        else:
            found = await container.work_items.peek_next(actor=actor, wanted=chosen)
    if as_json:
        click.echo(json.dumps(found.model_dump(mode="json") if found else None, indent=2))
    elif found is None:
        click.echo("nothing is ready", err=True)
    else:
        click.echo(item_line(found))
    if found is None:
        raise SystemExit(1)


@click.command("log", short_help="Record what you spent on an item.")
@click.argument("item_id", metavar="ID")
@click.option("--minutes", type=click.IntRange(0), help="Minutes spent.")
@click.option("--tokens", type=click.IntRange(0), help="Model tokens spent.")
@click.option("--cost", "cost_usd", type=click.FloatRange(0), help="Cost in US dollars.")
@click.option("--note", help="What the time went on.")
@run_async
async def log(item_id: str, **spent: object) -> None:
    """Record what you spent on an item (at least one of --minutes, --tokens, --cost);
    prints the item's new totals."""
    from workledger.cli.items import ref
    from workledger.schemas.work_log import WorkLogCreate

    data = WorkLogCreate.load({k: v for k, v in spent.items() if v is not None})
    async with open_container() as container:
        actor = await acting(container)
        await container.work_logs.log(actor=actor, work_item_id=ref(item_id), data=data)
        item = await container.work_items.get(actor=actor, item_id=ref(item_id))
    total = item.spent
    click.echo(
        f"{str(item.id)[-8:]}  spent {total.minutes} min · {total.tokens:,} tokens · "
        f"${total.cost_usd:,.2f}  {item.title}"
    )
