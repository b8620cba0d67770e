"""The read cache never answers with something the database no longer holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings
from workledger.container import Container
from workledger.errors import NotFound
from workledger.schemas.common import Actor
from workledger.schemas.vendor import VendorCreate, VendorUpdate


async def test_a_change_by_another_process_is_seen_by_the_next_read(
    container: Container, actor: Actor, database_url: str, tmp_path: Path
) -> None:
    await container.vendors.create(actor=actor, data=VendorCreate(name="acme"))
    first = await container.vendors.get(actor=actor, name="acme")
    assert await container.vendors.get(actor=actor, name="acme") == first  # now cached

    # A second container stands for another process on the same database.
    other_process = Container.from_settings(make_settings(database_url, tmp_path))
    try:
        await other_process.vendors.update(
            actor=actor, name="acme", data=VendorUpdate(version=first.version, status="broken")
        )
    finally:
        await other_process.close()

    seen = await container.vendors.get(actor=actor, name="acme")
    assert (seen.status, seen.version) == ("broken", first.version + 1)


async def test_a_write_of_any_kind_refreshes_cached_answers(
    container: Container, actor: Actor
) -> None:
    created = await container.vendors.create(actor=actor, data=VendorCreate(name="acme"))
    await container.vendors.get(actor=actor, vendor_id=created.id)
    renamed = await container.vendors.update(
        actor=actor, vendor_id=created.id, data=VendorUpdate(version=1, name="acme-2")
    )
    assert (await container.vendors.get(actor=actor, vendor_id=created.id)) == renamed
    assert (await container.vendors.get(actor=actor, name="acme-2")).id == created.id


async def test_cached_answers_stay_within_their_account(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    created = await container.vendors.create(actor=actor, data=VendorCreate(name="acme"))
    await container.vendors.get(actor=actor, vendor_id=created.id)
    with pytest.raises(NotFound):
        await container.vendors.get(actor=other_actor, vendor_id=created.id)
    with pytest.raises(NotFound):
        await container.vendors.get(actor=other_actor, name="acme")
