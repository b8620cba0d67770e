"""The project status report (``.project_status.md``), rendered from one consistent read."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from workledger.db.types import utcnow
from workledger.models import Deployment, WorkItem
from workledger.repositories.deployment import DeploymentRepository
from workledger.repositories.enhancement import EnhancementRepository
from workledger.repositories.vendor import VendorRepository
from workledger.repositories.work_item import WorkItemRepository
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentRead, RelatedWorkItem
from workledger.schemas.enhancement import EnhancementRead
from workledger.schemas.status import StatusCounts, StatusReport
from workledger.schemas.vendor import VendorRead
from workledger.services.common import Service
from workledger.services.deployment import deployment_read
from workledger.services.enhancement import enhancement_read
from workledger.services.vendor import vendor_read

LATEST_DEPLOYMENTS = 10


def short_id(item_id: uuid.UUID) -> str:
    """How the report names a work item: the last 8 hex digits of its id."""
    return item_id.hex[-8:]


def _oneline(text: str) -> str:
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def _refs(items: list[RelatedWorkItem]) -> str:
    ordered = sorted(items, key=lambda i: (i.title, short_id(i.id)))
    return ", ".join(f"`{short_id(i.id)}` {_oneline(i.title)}" for i in ordered) or "none"


_templates = Environment(
    loader=PackageLoader("workledger", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # markdown, not HTML
)
_templates.filters.update(
    supported=lambda formats: (
        ", ".join(name for name, on in formats.model_dump().items() if on) or "none"
    ),
    tally=lambda summary: (
        ", ".join(f"{name} {count}" for name, count in sorted(summary.items())) or "none"
    ),
    timestamp=lambda at: at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    oneline=_oneline,
    short_id=short_id,
    refs=_refs,
)


@dataclass(frozen=True)
class _Snapshot:
    vendors: list[VendorRead]
    work_items: list[dict[str, Any]]
    deployments: list[DeploymentRead]
    earlier_deployments: list[Deployment]
    enhancements: list[EnhancementRead]
    counts: StatusCounts


class StatusService(Service):
    async def report(self, *, actor: Actor, at: datetime | None = None) -> StatusReport:
        """The report as of now (or as stamped ``at``): two renders of the same data match."""
        snapshot = await self._snapshot(actor)
        generated_at = at or utcnow()
        markdown = _templates.get_template("status.md.j2").render(
            generated_at=generated_at, **snapshot.__dict__
        )
        return StatusReport(markdown=markdown, generated_at=generated_at, counts=snapshot.counts)

    async def _snapshot(self, actor: Actor) -> _Snapshot:
        async with self.db.transaction(write=False) as session:
            account = {"account_id": actor.account_id}
            vendors = VendorRepository(session, **account)
            items = WorkItemRepository(session, **account)
            deployments = DeploymentRepository(session, **account)
            enhancements = EnhancementRepository(session, **account)

            vendor_rows = await vendors.list()
            tree = await items.live_tree()
            edges = await items.dependencies_of([row.id for row in tree])
            history = await deployments.newest_first()
            latest = history[:LATEST_DEPLOYMENTS]
            linked_vendors, linked_items = await deployments.links([d.id for d in latest])
            pending = await enhancements.pending()
            pending_edges = await enhancements.depends_on([e.id for e in pending])
        live = {row.id for row in tree}
        by_status = Counter(row.status for row in tree)
        operational = sum(v.status == "operational" for v in vendor_rows)
        return _Snapshot(
            vendors=[vendor_read(v) for v in vendor_rows],
            work_items=[
                {**row._asdict(), "depends_on": _depends_on(edges[row.id], live)} for row in tree
            ],
            deployments=[
                deployment_read(
                    d,
                    linked_vendors[d.id],
                    # Only items the tree shows: an import can link to nothing else.
                    [
                        i
                        for i in linked_items[d.id]
                        if isinstance(i, WorkItem) and i.deleted_at is None
                    ],
                    created=False,
                )
                for d in latest
            ],
            earlier_deployments=history[LATEST_DEPLOYMENTS:],
            enhancements=[enhancement_read(e, pending_edges[e.id]) for e in pending],
            counts=StatusCounts(
                work_items=len(tree),
                work_items_active=by_status["active"],
                work_items_blocked=by_status["blocked"],
                work_items_completed=by_status["completed"],
                vendors=len(vendor_rows),
                vendors_operational=operational,
                vendors_broken=len(vendor_rows) - operational,
                deployments=len(history),
                enhancements_pending=len(pending),
                session_prompts=sum(row.item_type == "session" for row in tree),
            ),
        )


def _depends_on(edges: list[tuple[uuid.UUID, str]], live: set[uuid.UUID]) -> list[str]:
    """The item's dependencies on live items, as the report writes them."""
    return [
        f"`{short_id(target)}`" + (" (blocks)" if kind == "blocks" else "")
        for target, kind in sorted(edges, key=lambda edge: short_id(edge[0]))
        if target in live
    ]
