"""The read cache under load: a read that starts after a write returns shows the write,
however many readers share the database's change token meanwhile."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.support.fault_proxy import fault_proxy
from workledger.container import Container
from workledger.db.change_watcher import build_change_watcher
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemReadOptions, WorkItemUpdate
from workledger.services.read_cache import ReadCache
from workledger.services.work_item import WorkItemService

READERS = 8
ROUNDS = 10
# The watcher's token reads cross a slow link, so that readers always have one under way
# while a write commits.
WATCH_DELAY_SECONDS = 0.01


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_read_after_a_write_sees_it_while_other_readers_share_the_token(
    container: Container, actor: Actor, database_url: str
) -> None:
    async with fault_proxy(database_url) as (proxy, slow_url):
        proxy.delay = WATCH_DELAY_SECONDS
        watcher = build_change_watcher(slow_url)
        items = WorkItemService(container.db, read_cache=ReadCache(watcher))
        data = WorkItemCreate.load({"item_type": "task", "title": "t"})
        item = await items.create(actor=actor, data=data)
        options = WorkItemReadOptions()

        async def keep_reading() -> None:
            while True:
                await items.query(actor=actor, item_id=item.id, options=options)

        readers = [asyncio.create_task(keep_reading()) for _ in range(READERS)]
        try:
            for version in range(1, ROUNDS + 1):
                await asyncio.sleep(WATCH_DELAY_SECONDS)  # the readers are reading
                change = WorkItemUpdate(version=version, title=f"v{version}")
                await items.update(actor=actor, item_id=item.id, data=change)
                read = await items.query(actor=actor, item_id=item.id, options=options)
                assert (read.version, read.title) == (version + 1, f"v{version}")
        finally:
            for reader in readers:
                reader.cancel()
            for reader in readers:
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
            await watcher.close()
