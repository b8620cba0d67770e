"""`workledger serve` archives old closed work items at start and then daily; with
PostgreSQL only one of several server processes does.

A module of its own: the other end-to-end modules keep a server running for the whole
module, and on PostgreSQL that server would hold the archiver's lock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from tests.e2e.test_rest_serve import WORK_ITEMS, bearer
from tests.support.servers import HttpServer
from workledger.container import Container
from workledger.db.types import utcnow
from workledger.models import WorkItem
from workledger.schemas.common import Actor
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate


@pytest.mark.timeout(90)
async def test_serve_archives_at_start_and_only_one_process_does_on_postgresql(
    database_url: str, container: Container, actor: Actor, tmp_path: Path, backend: str
) -> None:
    old = await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": "Long done"})
    )
    done = WorkItemUpdate.load({"version": 1, "status": "completed"})
    await container.work_items.update(actor=actor, item_id=old.id, data=done)
    async with container.db.transaction() as session:
        await session.execute(update(WorkItem).values(updated_at=utcnow() - timedelta(days=400)))

    servers = [HttpServer(database_url, tmp_path / f"serve-{n}") for n in range(2)]
    try:
        for server in servers:
            server.wait_until_up()
        async with httpx.AsyncClient(
            base_url=servers[0].base_url, headers=bearer(container, actor), timeout=10
        ) as client:
            for _ in range(100):  # the archive runs in the background, right after start
                gone = await client.get(f"{WORK_ITEMS}/{old.id}")
                if gone.status_code == 404:
                    break
                await asyncio.sleep(0.1)
            assert gone.status_code == 404, gone.text
            listed = await client.get(WORK_ITEMS, params={"include_archived": "true"})
            assert [i["archived_at"] is not None for i in listed.json()["items"]] == [True]
    finally:
        for server in servers:
            server.stop()
    archived = [server for server in servers if "archived 1 work item in 1 subtree" in server.log()]
    assert len(archived) == 1, [server.log_tail() for server in servers]
    if backend == "postgresql":  # the other never held the archiver's lock
        others = [s.log() for s in servers if s is not archived[0]]
        assert all("workledger.services.archive:" not in log for log in others), others
