"""The project status report (``.project_status.md``), rendered from one consistent read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from workledger.db.types import utcnow
from workledger.repositories.deployment import DeploymentRepository
from workledger.repositories.enhancement import EnhancementRepository
from workledger.repositories.vendor import VendorRepository
from workledger.repositories.work_item import WorkItemRepository
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentRead
from workledger.schemas.enhancement import EnhancementRead
from workledger.schemas.status import StatusCounts, StatusReport
from workledger.schemas.vendor import VendorRead
from workledger.services.common import Service
from workledger.services.deployment import deployment_read
from workledger.services.enhancement import enhancement_read
from workledger.services.vendor import vendor_read

LATEST_DEPLOYMENTS = 10

_templates = Environment(
    loader=PackageLoader("workledger", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # markdown, not HTML
)
_templates.filters["supported"] = lambda formats: (
    ", ".join(name for name, on in formats.model_dump().items() if on) or "none"
)
_templates.filters["tally"] = lambda summary: (
    ", ".join(f"{name} {count}" for name, count in sorted(summary.items())) or "none"
)


@dataclass(frozen=True)
class _Snapshot:
    vendors: list[VendorRead]
    open_items: list[dict[str, Any]]
    deployments: list[DeploymentRead]
    enhancements: list[EnhancementRead]
    counts: StatusCounts


class StatusService(Service):
    async def report(self, *, actor: Actor) -> StatusReport:
        snapshot = await self._snapshot(actor)
        generated_at = utcnow()
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
            open_rows = await items.open_items()
            edges = await items.dependencies_of([row.id for row in open_rows])
            latest, deployment_total, _, _ = await deployments.list_page(
                vendor_id=None,
                work_item_id=None,
                since=None,
                until=None,
                limit=LATEST_DEPLOYMENTS,
                cursor=None,
            )
            linked_vendors, linked_items = await deployments.links([d.id for d in latest])
            pending = await enhancements.pending()
            pending_edges = await enhancements.depends_on([e.id for e in pending])
            by_status = {
                status: await items.counts.total(
                    item_type=None, status=status, root_only=False, include_deleted=False
                )
                for status in ("active", "blocked", "completed")
            }
            sessions = await items.counts.total(
                item_type="session", status=None, root_only=False, include_deleted=False
            )
        operational = sum(v.status == "operational" for v in vendor_rows)
        return _Snapshot(
            vendors=[vendor_read(v) for v in vendor_rows],
            open_items=[
                {**row._asdict(), "depends_on": [t.hex[-8:] for t, _ in edges[row.id]]}
                for row in open_rows
            ],
            deployments=[
                deployment_read(d, linked_vendors[d.id], linked_items[d.id], created=False)
                for d in latest
            ],
            enhancements=[enhancement_read(e, pending_edges[e.id]) for e in pending],
            counts=StatusCounts(
                work_items=sum(by_status.values()),
                work_items_active=by_status["active"],
                work_items_blocked=by_status["blocked"],
                work_items_completed=by_status["completed"],
                vendors=len(vendor_rows),
                vendors_operational=operational,
                vendors_broken=len(vendor_rows) - operational,
                deployments=deployment_total,
                enhancements_pending=len(pending),
                session_prompts=sessions,
            ),
        )
