"""Units of work inside another write transaction join it: all or nothing, per savepoint."""

from __future__ import annotations

import pytest

from workledger.container import Container
from workledger.errors import Conflict, NotFound
from workledger.schemas.common import Actor
from workledger.schemas.vendor import VendorCreate


class Undo(Exception):
    pass


async def names(container: Container, actor: Actor) -> list[str]:
    return [v.name for v in (await container.vendors.list(actor=actor)).vendors]


async def test_service_calls_inside_a_transaction_commit_or_roll_back_with_it(
    container: Container, actor: Actor
) -> None:
    async def create_then_fail() -> None:
        async with container.db.transaction():
            await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "kept?"}))
            assert await names(container, actor) == ["kept?"]  # seen inside
            raise Undo

    with pytest.raises(Undo):
        await create_then_fail()
    assert await names(container, actor) == []

    async with container.db.transaction():
        await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "first"}))
        with pytest.raises(Conflict):  # refused in its savepoint, the rest goes on
            await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "first"}))
        await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "second"}))
    assert await names(container, actor) == ["first", "second"]


async def test_cached_reads_inside_a_transaction_never_outlive_its_rollback(
    container: Container, actor: Actor
) -> None:
    async def read_then_fail() -> None:
        async with container.db.transaction():
            made = await container.vendors.create(
                actor=actor, data=VendorCreate.load({"name": "phantom"})
            )
            assert (await container.vendors.get(actor=actor, name="phantom")).id == made.id
            raise Undo

    with pytest.raises(Undo):
        await read_then_fail()
    assert await names(container, actor) == []
    with pytest.raises(NotFound):
        await container.vendors.get(actor=actor, name="phantom")
