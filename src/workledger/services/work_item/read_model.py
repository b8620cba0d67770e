"""The answers work item reads and writes give: the read models, from rows and records."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import TypedDict

from workledger.db.unit_of_work import Database
from workledger.errors import NotFound
from workledger.models import WorkItem
from workledger.repositories.readiness import readiness
from workledger.repositories.work_item import ItemRead, WorkItemRepository
from workledger.repositories.work_item_claims import Claim, WorkItemClaims
from workledger.repositories.work_item_dependency import Edge, Edges
from workledger.repositories.work_item_new import NewWorkItem
from workledger.schemas.common import Actor
from workledger.schemas.spend import Spent
from workledger.schemas.work_item import ClaimNext, WorkItemRead

ItemRef = uuid.UUID | str  # an id, or a short id (see schemas.work_item.WorkItemRef)
RESOURCE = "work item"

# Read-model fields that are plain columns of the same name.
READ_COLUMNS = tuple(
    name
    for name in WorkItemRead.model_fields
    if name not in {"metadata", "dependencies", "archived_at", "ready", "blocked_by", "spent"}
)


class DependencyOut(TypedDict):
    depends_on_id: uuid.UUID
    dependency_type: str


def edges_out(edges: list[Edge]) -> list[DependencyOut]:
    return [{"depends_on_id": target, "dependency_type": kind} for target, kind in edges]


def record_fields(
    item: WorkItem | NewWorkItem, edges: list[Edge], blockers: Edges, actor: Actor
) -> dict[str, object]:
    """The fields of ``item``'s full read, as ``actor`` sees it."""
    return {
        **{name: getattr(item, name) for name in READ_COLUMNS},
        **readiness(item, blockers, client=actor.client, account=actor.account),
        "metadata": item.item_metadata,
        "dependencies": edges_out(edges),
        "spent": Spent.on(item),
    }


def read(
    item: WorkItem | NewWorkItem, edges: list[Edge], blockers: Edges, actor: Actor
) -> WorkItemRead:
    return WorkItemRead.model_validate(record_fields(item, edges, blockers, actor))


async def blockers_of(repo: WorkItemRepository, edges: Mapping[uuid.UUID, list[Edge]]) -> Edges:
    """What holds back these items, whose edges are known: no query for those without."""
    linked = [item_id for item_id, item_edges in edges.items() if item_edges]
    return await repo.dependencies.blockers(linked) if linked else {}


async def one_item(
    db: Database, *, actor: Actor, item_id: ItemRef, include_deleted: bool
) -> dict[str, object]:
    """The fields of one item's full read. By its id, one statement (one round trip);
    a short id is looked up first."""
    by_id = isinstance(item_id, uuid.UUID)
    async with db.transaction(write=False, single_statement=by_id) as session:
        repo = WorkItemRepository(session, ledger_id=actor.ledger_id)
        [found_id] = await repo.resolve([item_id])
        found = await repo.read(found_id, include_deleted=include_deleted)
    if found is None:
        raise NotFound(RESOURCE, found_id)
    return row_fields(found, actor)


def row_fields(found: ItemRead, actor: Actor) -> dict[str, object]:
    """The fields of the full read of an item read as a row, as ``actor`` sees it."""
    blockers = {found.row.id: found.blocking} if found.blocking else {}
    return {
        **{name: found.columns[name] for name in READ_COLUMNS},
        **readiness(found.row, blockers, client=actor.client, account=actor.account),
        "metadata": found.columns["metadata"],
        "dependencies": edges_out(found.edges),
        "spent": Spent.on(found.row),
    }


async def next_free(
    repo: WorkItemRepository, wanted: ClaimNext, *, now: datetime, lock: bool, limit: int = 1
) -> list[ItemRead]:
    """The items ``claim_next`` takes, best first (``lock``: locked, as it takes them)."""
    parent_id = None
    if wanted.parent_id is not None:
        [parent_id] = await repo.resolve([wanted.parent_id], field="parent_id")
    return await WorkItemClaims(repo.session, ledger_id=repo.ledger_id).next_free(
        item_type=wanted.item_type,
        tag=wanted.tag,
        parent_id=parent_id,
        now=now,
        lock=lock,
        limit=limit,
    )


def claimed_fields(claim: Claim) -> dict[str, object]:
    """The full read of an item just claimed, as its new holder sees it."""
    columns = claim.columns()
    return row_fields(
        ItemRead(SimpleNamespace(**columns), columns, claim.item.edges, []), claim.actor
    )
