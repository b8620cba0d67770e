"""The rules of work item writes: the tree (nesting, moves), dependencies, soft delete and
restore, bringing back from the archive, claims, and which fields a change sets
(docs/reference/work-items.md)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from workledger.db.types import utcnow
from workledger.errors import Conflict, NotFound, ValidationError, who
from workledger.models import WorkItem
from workledger.models.work_item import short_id
from workledger.repositories import history
from workledger.repositories.archive import ArchiveRepository
from workledger.repositories.readiness import is_free_for, is_held
from workledger.repositories.work_item import ItemRow, WorkItemRepository, path_segment
from workledger.repositories.work_item_dependency import Edge
from workledger.repositories.work_item_new import NewWorkItem
from workledger.schemas.common import PRIORITY_RANK, Actor
from workledger.schemas.item_type import validate_metadata
from workledger.schemas.work_item import MAX_DEPTH, DependencyIn, WorkItemChanges, WorkItemCreate
from workledger.services.common import authored, check_version
from workledger.services.work_item.read_model import RESOURCE, ItemRef

# Fields a change sets as they come.
PLAIN_FIELDS = (
    "title",
    "description",
    "due_date",
    "branch_name",
    "commit_hash",
    "pr_number",
    "assignee",
)

# What a change may set and still be made in place: the item's own fields, which move no
# tally, no subtree and no other item (a status does all three).
IN_PLACE = frozenset({*PLAIN_FIELDS, "priority", "tags", "metadata", "version"})


def in_place(data: WorkItemChanges) -> bool:
    return data.model_fields_set <= IN_PLACE


@dataclass(frozen=True)
class Links:
    """The items a new item or a change links to, by id: its parent and dependencies."""

    parent_id: uuid.UUID | None
    edges: list[Edge] | None  # None: the dependencies are not changed

    @property
    def referenced(self) -> list[uuid.UUID]:
        """Locked along with the item itself."""
        linked = [target for target, _ in self.edges or []]
        return [self.parent_id, *linked] if self.parent_id is not None else linked


async def links(
    repo: WorkItemRepository, parent: ItemRef | None, dependencies: Sequence[DependencyIn] | None
) -> Links:
    """The parent and dependencies as given (ids or short ids), by id."""
    parent_id = None
    if parent is not None:
        [parent_id] = await repo.resolve([parent], field="parent_id")
    edges = None
    if dependencies is not None:
        ids = await repo.resolve([d.depends_on_id for d in dependencies], field="dependencies")
        edges = [(i, d.dependency_type.value) for i, d in zip(ids, dependencies, strict=True)]
    return Links(parent_id, edges)


# --- new items ------------------------------------------------------------------------------


class Placed(Protocol):
    """Where an item stands in the tree: what a new child of it is placed by."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def depth(self) -> int: ...
    @property
    def path(self) -> str: ...


def new_item(
    actor: Actor, data: WorkItemCreate, item_id: uuid.UUID, parent: Placed | None, *, at: datetime
) -> NewWorkItem:
    """A new item under ``parent`` (a root without one), refused below the fifth level."""
    depth = parent.depth + 1 if parent else 0
    check_depth(depth)
    return NewWorkItem(
        id=item_id,
        ledger_id=actor.ledger_id,
        short_id=short_id(item_id),
        item_type=data.item_type.value,
        title=data.title,
        description=data.description,
        status=data.status.value,
        priority=data.priority.value,
        priority_rank=PRIORITY_RANK[data.priority],
        due_date=data.due_date,
        tags=list(data.tags),
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "") + path_segment(item_id),
        depth=depth,
        branch_name=data.branch_name,
        commit_hash=data.commit_hash,
        pr_number=data.pr_number,
        assignee=data.assignee,
        item_metadata=data.metadata or {},
        created_at=at,
        updated_at=at,
        **authored(actor),
    )


def parent_among(known: Mapping[uuid.UUID, Placed], parent_id: uuid.UUID | None) -> Placed | None:
    if parent_id is None:
        return None
    if parent_id not in known:
        raise NotFound("parent work item", parent_id, field="parent_id")
    return known[parent_id]


def check_targets(
    item_id: uuid.UUID, targets: Sequence[uuid.UUID], *, found: Collection[uuid.UUID]
) -> None:
    """The items depended on are other live items of the account."""
    if item_id in targets:
        raise ValidationError.single("dependencies", "a work item cannot depend on itself")
    missing = [str(t) for t in targets if t not in found]
    if missing:
        raise NotFound(RESOURCE, ", ".join(missing), field="dependencies", ids=missing)


def check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Conflict(
            f"work items nest at most {MAX_DEPTH + 1} levels deep; this would make level "
            f"{depth + 1}",
            field="parent_id",
        )


# --- changes --------------------------------------------------------------------------------


def apply_fields(item: WorkItem, data: WorkItemChanges) -> None:
    """Set the plain fields the change sent (the tree, dependencies and deletion aside)."""
    sent = data.model_fields_set
    for name in PLAIN_FIELDS:
        if name in sent:
            setattr(item, name, getattr(data, name))
    if data.status is not None:
        item.status = data.status.value
    if data.priority is not None:
        item.priority = data.priority.value
        item.priority_rank = PRIORITY_RANK[data.priority]
    if data.tags is not None:
        item.tags = list(data.tags)
    if data.metadata is not None:
        item.item_metadata = validate_metadata(item.item_type, data.metadata)
    if "assignee" in sent:  # set by hand: the client name, for no account in particular
        item.assignee_account = None  # and for no time in particular
        item.claimed_until = None


def check_claimable(
    item: WorkItem, claimant: Actor, *, now: datetime, blocked_by: Sequence[uuid.UUID]
) -> None:
    """Refused when someone else holds the item (another client, or the same client
    name of another account) under a lease still running, when it is completed, or
    when a dependency still holds it back (``blocked_by``)."""
    if not is_free_for(item, client=claimant.client, account=claimant.account, now=now):
        holder = who(item.assignee or "", item.assignee_account)
        until = f" until {item.claimed_until:%Y-%m-%d %H:%M:%S} UTC" if item.claimed_until else ""
        raise Conflict(
            f"this work item is claimed by {holder}{until}: pick another one "
            "(claim_next_work_item), or ask them to release it",
            field="assignee",
            assignee=item.assignee,
            assignee_account=item.assignee_account,
        )
    if item.status == "completed":
        raise Conflict("this work item is completed: there is nothing to claim", field="status")
    if blocked_by:
        waits_on = ", ".join(short_id(target) for target in blocked_by)
        raise Conflict(
            f"this work item waits on {len(blocked_by)} open "
            f"dependenc{'y' if len(blocked_by) == 1 else 'ies'} ({waits_on}): finish "
            "those first, or take a ready item (claim_next_work_item)",
            field="blocked_by",
            blocked_by=[str(target) for target in blocked_by],
        )


def take(
    session: Any, item: WorkItem, claimant: Actor, *, now: datetime, lease_seconds: int
) -> None:
    """Claim ``item`` for ``claimant`` until ``lease_seconds`` from ``now`` (a holder
    claiming again renews the lease)."""
    for name, value in claiming(
        session, item, claimant, now=now, lease_seconds=lease_seconds
    ).items():
        setattr(item, name, value)
    history.note(session, WorkItem, item.id, "claim")


def claiming(
    session: Any, item: ItemRow, claimant: Actor, *, now: datetime, lease_seconds: int
) -> dict[str, Any]:
    """The columns claiming ``item`` for ``claimant`` sets. Taking over a lease another
    holder let run out records ``claim_expired`` first, an event of its own."""
    lapsed = item.assignee is not None and not is_held(item, now=now)
    if lapsed and (item.assignee, item.assignee_account) != (claimant.client, claimant.account):
        history.record(
            session,
            ledger_id=item.ledger_id,
            record_type="work_item",
            record_id=item.id,
            version=item.version,
            action="claim_expired",
            changes={
                "assignee": (item.assignee, None),
                "assignee_account": (item.assignee_account, None),
                "claimed_until": (item.claimed_until, None),
            },
            client=claimant.client,
            account=claimant.account,
            at=now,
            apart=True,
        )
    return {
        "assignee": claimant.client,
        "assignee_account": claimant.account,
        "claimed_until": now + timedelta(seconds=lease_seconds),
    }


def check_releasable(item: WorkItem, releaser: Actor, *, now: datetime) -> None:
    """Only the holder, or an owner of the ledger, drops a claim still running."""
    mine = (item.assignee, item.assignee_account) == (releaser.client, releaser.account)
    if is_held(item, now=now) and not mine and releaser.role != "owner":
        holder = who(item.assignee or "", item.assignee_account)
        raise Conflict(
            f"this work item is claimed by {holder}: only they, or an owner of the "
            "ledger, can release it",
            field="assignee",
            assignee=item.assignee,
            assignee_account=item.assignee_account,
        )


def drop_claim(item: WorkItem) -> None:
    """The item held by nobody (a release, or the completion that ends the work)."""
    item.assignee = None
    item.assignee_account = None
    item.claimed_until = None


async def move(repo: WorkItemRepository, item: WorkItem, parent_id: uuid.UUID | None) -> None:
    """Put ``item`` with its subtree under ``parent_id`` (a root for None)."""
    if parent_id == item.parent_id:
        return
    if parent_id == item.id:
        raise Conflict("a work item cannot be its own parent", field="parent_id")
    parent = None
    if parent_id is not None:
        parent = await repo.get(parent_id)
        if parent is None:
            raise NotFound("parent work item", parent_id, field="parent_id")
    if parent is not None and parent.path.startswith(item.path):
        raise Conflict(
            "cannot move a work item under its own descendant (that would be a cycle)",
            field="parent_id",
        )
    depth = parent.depth + 1 if parent else 0
    check_depth(depth + await repo.subtree_height(item))
    old_path = item.path
    item.path = (parent.path if parent else "") + path_segment(item.id)
    await repo.rehome_subtree(old_path=old_path, new_path=item.path, depth_delta=depth - item.depth)
    item.parent_id, item.depth = parent_id, depth


async def set_dependencies(repo: WorkItemRepository, item: WorkItem, edges: list[Edge]) -> None:
    """Replace what ``item`` depends on, refusing missing items and cycles."""
    targets = [target for target, _ in edges]
    found = {t.id for t in await repo.get_many(t for t in targets if t != item.id)}
    check_targets(item.id, targets, found=found)
    if targets and await repo.dependencies.reaches(starts=targets, target=item.id):
        raise Conflict(
            "these dependencies would close a cycle: an item they lead to already "
            "depends on this one",
            field="dependencies",
        )
    await repo.dependencies.replace(item.id, edges)


async def soft_delete(
    repo: WorkItemRepository, item: WorkItem, *, cascade: bool, actor: Actor
) -> None:
    """Delete ``item``; with ``cascade`` its live descendants too, else only a leaf."""
    if not cascade and await repo.has_live_children(item.id):
        raise Conflict(
            "this work item has live children: delete them first or pass cascade=true",
            field="cascade",
        )
    now = utcnow()
    await repo.mark_subtree_deleted(item, deleted_at=now, only_deleted_at=None, at=now, actor=actor)
    item.deleted_at = now


async def undelete(repo: WorkItemRepository, item: WorkItem, *, actor: Actor) -> None:
    """Undo the soft delete of ``item`` and of the descendants deleted along with it."""
    if item.parent_id is not None and await repo.get(item.parent_id) is None:
        raise Conflict(
            "the parent of this work item is deleted: restore the parent first",
            field="deleted",
        )
    await repo.mark_subtree_deleted(
        item, deleted_at=None, only_deleted_at=item.deleted_at, at=utcnow(), actor=actor
    )
    item.deleted_at = None


async def unarchive(
    repo: WorkItemRepository, item_id: uuid.UUID, *, requested: int | None, actor: Actor
) -> WorkItem | None:
    """Move an archived item and its archived subtree back under its parent, which
    must be live (None: nothing archived has that id). Rows come back as they were
    archived; one that had been deleted is still deleted."""
    archive = ArchiveRepository(repo.session, ledger_id=repo.ledger_id)
    archived = await archive.get(item_id)
    if archived is None:
        return None
    check_version(archived, requested=requested, resource=RESOURCE)
    parent = await repo.get(archived.parent_id) if archived.parent_id else None
    if archived.parent_id is not None and parent is None:
        raise Conflict(
            f"the parent of this work item ({archived.parent_id}) is archived or deleted: "
            "restore the parent first",
            field="deleted",
        )
    depth = parent.depth + 1 if parent else 0
    check_depth(depth + await archive.deepest_level(archived) - archived.depth)
    history.note(
        repo.session, WorkItem, item_id, "unarchive", archived_at=(archived.archived_at, None)
    )
    await archive.restore(
        archived,
        parent_path=parent.path if parent else "",
        parent_depth=parent.depth if parent else -1,
        actor=actor,
    )
    return await repo.get(item_id, include_deleted=True)
