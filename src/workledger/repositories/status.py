"""The reads behind the status report: plain rows of just the columns it shows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import func, null, select, union_all

from workledger.models import (
    Comment,
    Deployment,
    Enhancement,
    Vendor,
    WorkItem,
    WorkItemDependency,
    WorkLog,
    deployment_vendors,
    deployment_work_items,
)
from workledger.models.vendor import FORMAT_COLUMNS
from workledger.repositories.base import LedgerScopedRepository
from workledger.repositories.deployment import NEWEST_FIRST
from workledger.repositories.enhancement import PLANNING_ORDER
from workledger.repositories.readiness import Readied
from workledger.schemas.spend import SpentOn

# The rows the report reads: plain rows of the columns it shows, by attribute.


class VendorRow(Protocol):
    """Also ``supports_<format>`` of each of ``models.vendor.FORMATS``."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def tests_passing(self) -> int: ...
    @property
    def tests_total(self) -> int: ...
    @property
    def tests_skipped(self) -> int: ...
    @property
    def extractor_version(self) -> str | None: ...
    @property
    def manifest_compliant(self) -> bool: ...


class TreeRow(Readied, SpentOn, Protocol):
    """A live work item, as the report and the board show it."""

    @property
    def item_type(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def depth(self) -> int: ...
    @property
    def version(self) -> int: ...


class DetailRow(NamedTuple):
    """The fields of a live work item the report carries below or beside its line."""

    id: uuid.UUID
    description: str | None
    due_date: date | None
    tags: list[str]
    item_metadata: dict[str, object]
    branch_name: str | None
    commit_hash: str | None
    pr_number: int | None


class SpendRow(NamedTuple):
    """What one actor logged in the ledger's work log, summed."""

    client: str
    account: str | None
    entries: int
    minutes: int
    tokens: int
    cost_micros: int


def costliest_first(row: SpendRow) -> tuple[int, int, str, str]:
    """Spend rows' order, the costliest first; sorted in Python, as the databases order a
    missing account differently."""
    return (-row.cost_micros, -row.tokens, row.account or "", row.client)


# Who logged (client, account), how many entries, and their sums: a SpendRow's columns.
_SPENT_BY = (
    WorkLog.created_by,
    WorkLog.created_by_account,
    func.count(),
    func.sum(WorkLog.minutes),
    func.sum(WorkLog.tokens),
    func.sum(WorkLog.cost_micros),
)


def _spend_row(row: Sequence[Any]) -> SpendRow:
    client, account, entries, minutes, tokens, micros = row
    return SpendRow(client, account, int(entries), int(minutes), int(tokens), int(micros))


class TreeEdge(NamedTuple):
    work_item_id: uuid.UUID
    depends_on_id: uuid.UUID
    dependency_type: str


class DeploymentRow(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def deployed_at(self) -> datetime: ...
    @property
    def pr_number(self) -> int: ...
    @property
    def pr_title(self) -> str: ...
    @property
    def commit_hash(self) -> str: ...
    @property
    def test_summary(self) -> dict[str, object]: ...
    @property
    def constitutional_compliance(self) -> bool: ...


class LinkedItemRow(Protocol):
    """A live work item a deployment shipped."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def title(self) -> str: ...


class EnhancementRow(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def target_quarter(self) -> str | None: ...


class StatusRepository(LedgerScopedRepository):
    async def vendors(self) -> list[VendorRow]:
        stmt = (
            select(
                Vendor.name,
                Vendor.status,
                Vendor.tests_passing,
                Vendor.tests_total,
                Vendor.tests_skipped,
                *(getattr(Vendor, column) for column in FORMAT_COLUMNS),
                Vendor.extractor_version,
                Vendor.manifest_compliant,
            )
            .where(Vendor.ledger_id == self.ledger_id)
            .order_by(Vendor.name)
        )
        return list(await self.session.execute(stmt))

    async def live_tree(self) -> tuple[list[TreeRow], list[TreeEdge]]:
        """Every live item in tree order, and (item, depends on, type) of their
        dependencies: one statement, an item repeated once per dependency."""
        stmt = (
            select(
                WorkItem.id,
                WorkItem.item_type,
                WorkItem.title,
                WorkItem.status,
                WorkItem.priority,
                WorkItem.depth,
                WorkItem.assignee,
                WorkItem.assignee_account,
                WorkItem.deleted_at,  # always null: readiness reads it
                WorkItem.version,  # what a move on the board is made against
                WorkItem.spent_minutes,
                WorkItem.spent_tokens,
                WorkItem.spent_cost_micros,
                WorkItemDependency.depends_on_id,
                WorkItemDependency.dependency_type,
            )
            .outerjoin(WorkItemDependency, WorkItemDependency.work_item_id == WorkItem.id)
            .where(WorkItem.ledger_id == self.ledger_id, WorkItem.deleted_at.is_(None))
            .order_by(WorkItem.path)
        )
        items: list[TreeRow] = []
        edges: list[TreeEdge] = []
        for row in await self.session.execute(stmt):
            if not items or items[-1].id != row.id:
                items.append(row)
            if row.depends_on_id is not None:
                edges.append(TreeEdge(row.id, row.depends_on_id, row.dependency_type))
        return items, edges

    async def live_details(self) -> dict[uuid.UUID, DetailRow]:
        """The report's other fields of every live item that has any of them."""
        stmt = select(
            WorkItem.id,
            WorkItem.description,
            WorkItem.due_date,
            WorkItem.tags,
            WorkItem.item_metadata,
            WorkItem.branch_name,
            WorkItem.commit_hash,
            WorkItem.pr_number,
        ).where(WorkItem.ledger_id == self.ledger_id, WorkItem.deleted_at.is_(None))
        rows = (DetailRow(*row) for row in await self.session.execute(stmt))
        return {row.id: row for row in rows if any(row[1:])}

    async def comment_counts(self) -> dict[uuid.UUID, int]:
        """How many comments each live item has (items without any left out)."""
        stmt = (
            select(Comment.work_item_id, func.count())
            .join(WorkItem, WorkItem.id == Comment.work_item_id)
            .where(
                Comment.ledger_id == self.ledger_id,
                WorkItem.ledger_id == self.ledger_id,
                WorkItem.deleted_at.is_(None),
            )
            .group_by(Comment.work_item_id)
        )
        return {item_id: int(n) for item_id, n in await self.session.execute(stmt)}

    async def spend_by_actor(self) -> list[SpendRow]:
        """The work log summed by who logged it (the client and its account), the
        costliest first: every entry of the ledger, archived items' too."""
        stmt = (
            select(*_SPENT_BY)
            .where(WorkLog.ledger_id == self.ledger_id)
            .group_by(WorkLog.created_by, WorkLog.created_by_account)
        )
        rows = [_spend_row(row) for row in await self.session.execute(stmt)]
        return sorted(rows, key=costliest_first)

    async def spend_by_item_and_actor(self) -> dict[uuid.UUID, list[SpendRow]]:
        """Each live item's work log summed by who logged it, in the order of
        ``spend_by_actor``: only items with any entry."""
        stmt = (
            select(WorkLog.work_item_id, *_SPENT_BY)
            .join(WorkItem, WorkItem.id == WorkLog.work_item_id)
            .where(
                WorkLog.ledger_id == self.ledger_id,
                WorkItem.ledger_id == self.ledger_id,
                WorkItem.deleted_at.is_(None),
            )
            .group_by(WorkLog.work_item_id, WorkLog.created_by, WorkLog.created_by_account)
        )
        found: dict[uuid.UUID, list[SpendRow]] = defaultdict(list)
        for item_id, *sums in await self.session.execute(stmt):
            found[item_id].append(_spend_row(sums))
        return {item_id: sorted(rows, key=costliest_first) for item_id, rows in found.items()}

    async def deployments(self) -> list[DeploymentRow]:
        """Every deployment, newest first."""
        stmt = select(
            Deployment.id,
            Deployment.deployed_at,
            Deployment.pr_number,
            Deployment.pr_title,
            Deployment.commit_hash,
            Deployment.test_summary,
            Deployment.constitutional_compliance,
        ).where(Deployment.ledger_id == self.ledger_id)
        return list(await self.session.execute(NEWEST_FIRST.order(stmt)))

    async def deployment_links(
        self, deployment_ids: Sequence[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, list[str]], dict[uuid.UUID, list[LinkedItemRow]]]:
        """Names of the linked vendors, and (id, title) of the linked live work items."""
        vendors: dict[uuid.UUID, list[str]] = defaultdict(list)
        items: dict[uuid.UUID, list[LinkedItemRow]] = defaultdict(list)
        if not deployment_ids:
            return vendors, items
        linked_vendors = (
            select(
                deployment_vendors.c.deployment_id,
                null().label("id"),
                Vendor.name.label("title"),
            )
            .join(Vendor, Vendor.id == deployment_vendors.c.vendor_id)
            .where(
                deployment_vendors.c.deployment_id.in_(deployment_ids),
                Vendor.ledger_id == self.ledger_id,
            )
        )
        linked_items = (
            select(deployment_work_items.c.deployment_id, WorkItem.id, WorkItem.title)
            .join(WorkItem, WorkItem.id == deployment_work_items.c.work_item_id)
            .where(
                deployment_work_items.c.deployment_id.in_(deployment_ids),
                WorkItem.ledger_id == self.ledger_id,
                WorkItem.deleted_at.is_(None),
            )
        )
        links = union_all(linked_items, linked_vendors).subquery()  # items first: their id type
        for row in await self.session.execute(select(links).order_by(links.c.title)):
            if row.id is None:
                vendors[row.deployment_id].append(row.title)
            else:
                items[row.deployment_id].append(row)
        return vendors, items

    async def pending_enhancements(self) -> list[EnhancementRow]:
        stmt = (
            select(
                Enhancement.title,
                Enhancement.priority,
                Enhancement.status,
                Enhancement.target_quarter,
            )
            .where(Enhancement.ledger_id == self.ledger_id, Enhancement.status != "completed")
            .order_by(*PLANNING_ORDER)
        )
        return list(await self.session.execute(stmt))
