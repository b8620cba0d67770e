"""Deployments: PR, commit, test summary and links, recorded once per PR and commit.

A commit may be named by a short hash (7 or more hex digits) or in full; one that begins
another, recorded for the same PR, names the same commit."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import zip_longest
from pathlib import Path
from typing import Any

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, NotFound, WorkledgerError
from workledger.fallback import commands
from workledger.fallback.journaling import journaled
from workledger.models import Deployment, Vendor, WorkItem, new_id
from workledger.repositories.base import ConstraintViolation
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
from workledger.services.common import Service, authored, the_one
from workledger.services.git_state import full_commit_hashes

RESOURCE = "deployment"


class DeploymentService(Service):
    def __init__(self, db: Database, *, repo_dir: Path | None = None) -> None:
        super().__init__(db)
        self.repo_dir = repo_dir  # the git work tree whose commits are deployed

    async def full_commit_hashes(self, short: Collection[str]) -> dict[str, str]:
        """The full hash of each short one (lower case) that names exactly one commit in
        the git history of ``repo_dir``; the others (or all, without git or a repository)
        are left out."""
        if self.repo_dir is None:
            return {}
        return await full_commit_hashes(self.repo_dir, short)

    @journaled(commands.RecordDeployment)
    async def record(
        self, *, actor: Actor, data: DeploymentCreate, deployment_id: uuid.UUID | None = None
    ) -> DeploymentRead:
        """Store a deployment with its links; the same PR and commit again returns the
        first, and the same PR with that commit's hash shortened or lengthened is a
        Conflict. ``deployment_id`` chooses a new one's (fresh, v7) id."""
        return the_one(await self.record_many(actor=actor, items=[data], ids=[deployment_id]))

    async def record_many(
        self,
        *,
        actor: Actor,
        items: Sequence[DeploymentCreate],
        ids: Sequence[uuid.UUID | None] = (),
    ) -> list[DeploymentRead | WorkledgerError]:
        """Record deployments in one transaction and a few statements: each as ``record``
        describes, or answered with the error that refused it (a vendor or work item
        that is not there, the commit recorded for the PR under a longer or shorter
        hash)."""
        try:
            return await self._record_many(actor=actor, items=items, ids=ids)
        except ConstraintViolation:
            # A concurrent call recorded the same PR and commit first: answer with it.
            return await self._record_many(actor=actor, items=items, ids=ids)

    async def _record_many(
        self,
        *,
        actor: Actor,
        items: Sequence[DeploymentCreate],
        ids: Sequence[uuid.UUID | None],
    ) -> list[DeploymentRead | WorkledgerError]:
        async with self.writing(actor) as session:
            repo = DeploymentRepository(session, ledger_id=actor.ledger_id)
            work_item_repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
            named = [await _with_item_ids(work_item_repo, data) for data in items]
            valid = [d for d in named if not isinstance(d, WorkledgerError)]
            recorded = await repo.of_prs([d.pr_number for d in valid])
            links = _Links(
                await VendorRepository(session, ledger_id=actor.ledger_id).get_many(
                    ids=[i for d in valid for i in d.vendor_ids],
                    names=[n for d in valid for n in d.vendor_names],
                ),
                await work_item_repo.get_many(_ids(i for d in valid for i in d.work_item_ids)),
            )
            now = utcnow()
            results: list[_Recorded | Deployment | WorkledgerError] = []
            for data, given in zip_longest(named, ids):
                if isinstance(data, WorkledgerError):
                    results.append(data)
                    continue
                of_pr = recorded.setdefault(data.pr_number, [])
                if same := _same_commit(of_pr, data):
                    results.append(same)
                    continue
                try:
                    vendors, work_items = links.of(data)
                except NotFound as missing:
                    results.append(missing)
                    continue
                deployment = _new_deployment(actor, data, at=now, deployment_id=given)
                of_pr.append(deployment)
                results.append(_Recorded(deployment, vendors, work_items))
            new = [r for r in results if isinstance(r, _Recorded)]
            await repo.add_many([(r.deployment, r.vendors, r.work_items) for r in new])
            earlier = [r for r in results if isinstance(r, Deployment)]
            vendors_of, items_of = await repo.links([d.id for d in earlier])
            return [
                r
                if isinstance(r, WorkledgerError)
                else deployment_read(r.deployment, r.vendors, r.work_items, created=True)
                if isinstance(r, _Recorded)
                else deployment_read(r, vendors_of[r.id], items_of[r.id], created=False)
                for r in results
            ]

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> DeploymentRead:
        return await self.get(actor=actor, deployment_id=record_id)

    async def get(self, *, actor: Actor, deployment_id: uuid.UUID) -> DeploymentRead:
        async with self.db.transaction(write=False) as session:
            repo = DeploymentRepository(session, ledger_id=actor.ledger_id)
            deployment = await repo.get(deployment_id)
            if deployment is None:
                raise NotFound(RESOURCE, deployment_id)
            return await _read(repo, deployment, created=False)

    async def list(self, *, actor: Actor, query: DeploymentListQuery) -> Page[DeploymentRead]:
        async with self.db.transaction(write=False) as session:
            repo = DeploymentRepository(session, ledger_id=actor.ledger_id)
            if isinstance(query.work_item_id, str):
                work_items = WorkItemRepository(session, ledger_id=actor.ledger_id)
                try:
                    [item_id] = await work_items.resolve([query.work_item_id], field="work_item_id")
                except NotFound:  # as for an id no item has: no deployment touched it
                    return Page[DeploymentRead](items=[], total_count=0, has_more=False)
                query = query.model_copy(update={"work_item_id": item_id})
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


def _same_commit(
    recorded: Sequence[Deployment], data: DeploymentCreate
) -> Deployment | Conflict | None:
    """The deployment of ``data``'s PR at its commit, when one is recorded: the same
    hash is that deployment; a hash that begins the other (a short hash and its full
    one) is a Conflict, since both name the commit and only one hash can be kept."""
    given = data.commit_hash
    if same := next((d for d in recorded if d.commit_hash == given), None):
        return same
    for deployment in recorded:
        known = deployment.commit_hash
        if known.startswith(given) or given.startswith(known):
            return Conflict(
                f"PR #{data.pr_number} is already recorded at commit {known}, the same "
                f"commit as {given}: send {known} to get that deployment",
                field="commit_hash",
                commit_hash=known,
                deployment_id=str(deployment.id),
            )
    return None


async def _with_item_ids(
    repo: WorkItemRepository, data: DeploymentCreate
) -> DeploymentCreate | WorkledgerError:
    """``data`` with the short ids of its work items resolved, or why they are not."""
    if not any(isinstance(ref, str) for ref in data.work_item_ids):
        return data
    try:
        ids = await repo.resolve(data.work_item_ids, field="work_item_ids")
    except WorkledgerError as refused:
        return refused
    return data.model_copy(update={"work_item_ids": ids})


def _ids(refs: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    """Work item refs already resolved (``_with_item_ids``): ids."""
    return [ref for ref in refs if isinstance(ref, uuid.UUID)]


@dataclass
class _Recorded:
    """A deployment this call records, with what it links to."""

    deployment: Deployment
    vendors: list[Vendor]
    work_items: list[WorkItem]


class _Links:
    """The vendors and work items a batch of deployments names, read once."""

    def __init__(self, vendors: Sequence[Vendor], work_items: Sequence[WorkItem]) -> None:
        self.by_id = {v.id: v for v in vendors}
        self.by_name = {v.name: v for v in vendors}
        self.work_items = {w.id: w for w in work_items}

    def of(self, data: DeploymentCreate) -> tuple[list[Vendor], list[WorkItem]]:
        if data.vendor_names:
            missing = sorted(set(data.vendor_names) - set(self.by_name))
            if missing:
                raise NotFound("vendor", ", ".join(missing), field="vendor_names", missing=missing)
            vendors = [self.by_name[n] for n in data.vendor_names]
        else:
            absent = [str(i) for i in data.vendor_ids if i not in self.by_id]
            if absent:
                raise NotFound("vendor", ", ".join(absent), field="vendor_ids", missing=absent)
            vendors = [self.by_id[i] for i in data.vendor_ids]
        wanted = _ids(data.work_item_ids)
        unknown = [str(i) for i in wanted if i not in self.work_items]
        if unknown:
            raise NotFound("work item", ", ".join(unknown), field="work_item_ids", missing=unknown)
        return vendors, [self.work_items[i] for i in wanted]


def _new_deployment(
    actor: Actor, data: DeploymentCreate, *, at: datetime, deployment_id: uuid.UUID | None
) -> Deployment:
    return Deployment(
        id=deployment_id or new_id(),
        ledger_id=actor.ledger_id,
        deployed_at=(data.deployed_at or at).astimezone(UTC),
        pr_number=data.pr_number,
        pr_title=data.pr_title,
        commit_hash=data.commit_hash,
        test_summary=dict(data.test_summary),
        constitutional_compliance=data.constitutional_compliance,
        version=1,
        created_at=at,
        updated_at=at,
        **authored(actor),
    )


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
        created_by_account=deployment.created_by_account,
        created=created,
    )
