"""Deployments: PR, commit, test summary and links, recorded once per PR and commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy.exc import IntegrityError

from workledger.db.types import utcnow
from workledger.errors import NotFound
from workledger.models import Deployment, Vendor, WorkItem
from workledger.repositories.deployment import DeploymentRepository
from workledger.repositories.vendor import VendorRepository
from workledger.repositories.work_item import WorkItemRepository
from workledger.schemas.common import Actor, Page
from workledger.schemas.deployment import (
    AffectedVendor,
    DeploymentCreate,
    DeploymentListQuery,
    DeploymentRead,
    RelatedWorkItem,
)
from workledger.services.common import Service

RESOURCE = "deployment"


class DeploymentService(Service):
    async def record(self, *, actor: Actor, data: DeploymentCreate) -> DeploymentRead:
        """Store a deployment with its links; the same PR and commit again returns the first."""
        try:
            return await self._record(actor=actor, data=data)
        except IntegrityError:
            # A concurrent call recorded the same PR and commit first: answer with it.
            return await self._record(actor=actor, data=data)

    async def _record(self, *, actor: Actor, data: DeploymentCreate) -> DeploymentRead:
        async with self.db.transaction() as session:
            repo = DeploymentRepository(session, account_id=actor.account_id)
            existing = await repo.find(pr_number=data.pr_number, commit_hash=data.commit_hash)
            if existing is not None:
                return await _read(repo, existing, created=False)
            vendors = await _vendors(session, actor, data)
            items = await _work_items(session, actor, data.work_item_ids)
            now = utcnow()
            deployment = Deployment(
                account_id=actor.account_id,
                deployed_at=(data.deployed_at or now).astimezone(UTC),
                pr_number=data.pr_number,
                pr_title=data.pr_title,
                commit_hash=data.commit_hash,
                test_summary=dict(data.test_summary),
                constitutional_compliance=data.constitutional_compliance,
                version=1,
                created_at=now,
                updated_at=now,
                created_by=actor.client,
                updated_by=actor.client,
            )
            await repo.add(
                deployment,
                vendor_ids=[v.id for v in vendors],
                work_item_ids=[i.id for i in items],
            )
            return deployment_read(deployment, vendors, items, created=True)

    async def get(self, *, actor: Actor, deployment_id: uuid.UUID) -> DeploymentRead:
        async with self.db.transaction(write=False) as session:
            repo = DeploymentRepository(session, account_id=actor.account_id)
            deployment = await repo.get(deployment_id)
            if deployment is None:
                raise NotFound(RESOURCE, deployment_id)
            return await _read(repo, deployment, created=False)

    async def list(self, *, actor: Actor, query: DeploymentListQuery) -> Page[DeploymentRead]:
        async with self.db.transaction(write=False) as session:
            repo = DeploymentRepository(session, account_id=actor.account_id)
            rows, total, has_more, next_cursor = await repo.list_page(
                **query.model_dump(exclude={"limit", "cursor"}),
                limit=query.limit,
                cursor=query.cursor,
            )
            vendors, items = await repo.links([d.id for d in rows])
            return Page[DeploymentRead](
                items=[deployment_read(d, vendors[d.id], items[d.id], created=False) for d in rows],
                total_count=total,
                has_more=has_more,
                next_cursor=next_cursor,
            )


async def _vendors(session: object, actor: Actor, data: DeploymentCreate) -> list[Vendor]:
    repo = VendorRepository(session, account_id=actor.account_id)  # type: ignore[arg-type]
    if data.vendor_names:
        found = await repo.get_many(names=data.vendor_names)
        missing = sorted(set(data.vendor_names) - {v.name for v in found})
        field = "vendor_names"
    else:
        found = await repo.get_many(ids=data.vendor_ids)
        missing = [str(i) for i in data.vendor_ids if i not in {v.id for v in found}]
        field = "vendor_ids"
    if missing:
        raise NotFound("vendor", ", ".join(missing), field=field, missing=missing)
    return found


async def _work_items(session: object, actor: Actor, ids: list[uuid.UUID]) -> list[WorkItem]:
    repo = WorkItemRepository(session, account_id=actor.account_id)  # type: ignore[arg-type]
    found = await repo.get_many(ids)
    missing = [str(i) for i in ids if i not in {w.id for w in found}]
    if missing:
        raise NotFound("work item", ", ".join(missing), field="work_item_ids", missing=missing)
    return found


async def _read(
    repo: DeploymentRepository, deployment: Deployment, *, created: bool
) -> DeploymentRead:
    vendors, items = await repo.links([deployment.id])
    return deployment_read(
        deployment, vendors[deployment.id], items[deployment.id], created=created
    )


def deployment_read(
    deployment: Deployment,
    vendors: Sequence[Vendor],
    items: Sequence[Any],  # anything with id, title and status: items or link rows
    *,
    created: bool,
) -> DeploymentRead:
    vendors = sorted(vendors, key=lambda v: v.name)
    items = sorted(items, key=lambda i: i.title)
    return DeploymentRead(
        id=deployment.id,
        deployed_at=deployment.deployed_at,
        pr_number=deployment.pr_number,
        pr_title=deployment.pr_title,
        commit_hash=deployment.commit_hash,
        test_summary=deployment.test_summary,
        constitutional_compliance=deployment.constitutional_compliance,
        vendor_ids=[v.id for v in vendors],
        work_item_ids=[i.id for i in items],
        affected_vendors=[AffectedVendor.model_validate(v) for v in vendors],
        related_work_items=[RelatedWorkItem.model_validate(i) for i in items],
        version=deployment.version,
        created_at=deployment.created_at,
        created_by=deployment.created_by,
        created=created,
    )
