from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, inspect, select, union_all

from workledger.models import (
    ArchivedWorkItem,
    Deployment,
    Vendor,
    WorkItem,
    deployment_vendors,
    deployment_work_items,
)
from workledger.repositories import history
from workledger.repositories.base import LedgerScopedRepository, chunks
from workledger.repositories.paging import Keyset, as_datetime, as_uuid

NEWEST_FIRST = Keyset(
    name="deployed",
    columns=(Deployment.__table__.c.deployed_at, Deployment.__table__.c.id),
    decoders=(as_datetime, as_uuid),
    descending=True,
)


class DeploymentRepository(LedgerScopedRepository):
    async def get(self, deployment_id: uuid.UUID) -> Deployment | None:
        stmt = select(Deployment).where(
            Deployment.id == deployment_id, Deployment.ledger_id == self.ledger_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_prs(self, pr_numbers: Collection[int]) -> dict[int, list[Deployment]]:
        """The deployments already recorded for these PR numbers, by PR."""
        found: dict[int, list[Deployment]] = defaultdict(list)
        for chunk in chunks(sorted(set(pr_numbers))):
            stmt = select(Deployment).where(
                Deployment.ledger_id == self.ledger_id, Deployment.pr_number.in_(chunk)
            )
            for deployment in (await self.session.execute(stmt)).scalars():
                found[deployment.pr_number].append(deployment)
        return found

    async def add_many(
        self, deployments: Sequence[tuple[Deployment, Sequence[Vendor], Sequence[Any]]]
    ) -> None:
        """New deployments (with their ids set, not yet in the session) with the vendors and
        work items each links to."""
        if not deployments:
            return
        # One INSERT of plain column values: far cheaper than the ORM's flush of objects.
        columns = [attribute.key for attribute in inspect(Deployment).column_attrs]
        rows = [{key: getattr(d, key) for key in columns} for d, _, _ in deployments]
        await self.session.execute(insert(Deployment), rows)
        links = {
            d.id: {"vendor_ids": [v.id for v in vendors], "work_item_ids": [w.id for w in items]}
            for d, vendors, items in deployments
        }
        history.created(self.session, Deployment, rows, also=links)
        vendor_links = [
            {"deployment_id": d.id, "vendor_id": v.id}
            for d, vendors, _ in deployments
            for v in vendors
        ]
        item_links = [
            {"deployment_id": d.id, "work_item_id": w.id}
            for d, _, items in deployments
            for w in items
        ]
        if vendor_links:
            await self.session.execute(insert(deployment_vendors), vendor_links)
        if item_links:
            await self.session.execute(insert(deployment_work_items), item_links)

    async def links(
        self, deployment_ids: Sequence[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, list[Vendor]], dict[uuid.UUID, list[Any]]]:
        """Linked vendors (by name) and work items ((id, title, status) rows) of each
        deployment."""
        vendors: dict[uuid.UUID, list[Vendor]] = defaultdict(list)
        items: dict[uuid.UUID, list[Any]] = defaultdict(list)
        if not deployment_ids:
            return vendors, items
        vendor_rows = await self.session.execute(
            select(deployment_vendors.c.deployment_id, Vendor)
            .join(Vendor, Vendor.id == deployment_vendors.c.vendor_id)
            .where(
                deployment_vendors.c.deployment_id.in_(deployment_ids),
                Vendor.ledger_id == self.ledger_id,
            )
            .order_by(Vendor.name)
        )
        for deployment_id, vendor in vendor_rows:
            vendors[deployment_id].append(vendor)
        # Live and archived alike: an item archived since is still part of the history.
        linked = deployment_work_items.c
        item_rows = await self.session.execute(
            union_all(
                *(
                    select(linked.deployment_id, table.id, table.title, table.status)
                    .join(table, table.id == linked.work_item_id)
                    .where(
                        linked.deployment_id.in_(deployment_ids),
                        table.ledger_id == self.ledger_id,
                    )
                    for table in (WorkItem, ArchivedWorkItem)
                )
            )
        )
        for row in item_rows:
            items[row.deployment_id].append(row)
        return vendors, items

    async def list_page(
        self,
        *,
        vendor_id: uuid.UUID | None,
        work_item_id: uuid.UUID | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Deployment], int, bool, str | None]:
        conditions: list[ColumnElement[bool]] = [Deployment.ledger_id == self.ledger_id]
        if vendor_id is not None:
            conditions.append(
                Deployment.id.in_(
                    select(deployment_vendors.c.deployment_id).where(
                        deployment_vendors.c.vendor_id == vendor_id
                    )
                )
            )
        if work_item_id is not None:
            conditions.append(
                Deployment.id.in_(
                    select(deployment_work_items.c.deployment_id).where(
                        deployment_work_items.c.work_item_id == work_item_id
                    )
                )
            )
        if since is not None:
            conditions.append(Deployment.deployed_at >= since)
        if until is not None:
            conditions.append(Deployment.deployed_at <= until)
        total = await self.session.scalar(select(func.count(Deployment.id)).where(*conditions))
        stmt: Any = select(Deployment).where(*conditions)
        if cursor is not None:
            stmt = NEWEST_FIRST.after(stmt, cursor)
        stmt = NEWEST_FIRST.order(stmt).limit(limit + 1)
        rows = list((await self.session.execute(stmt)).scalars())
        has_more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = NEWEST_FIRST.encode([rows[-1].deployed_at, rows[-1].id]) if has_more else None
        return rows, int(total or 0), has_more, next_cursor
