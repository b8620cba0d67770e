"""Work item input and output models (the item types and their metadata: ``item_type``).

The names say the role: ``WorkItem<Role>`` is a shape the services take or give
(``WorkItemCreate``, ``WorkItemUpdate``, ``WorkItemRead``, …; ``WorkItemPatch`` is REST's
update, whose version may come as If-Match), and ``<ToolName>Arguments`` an MCP tool's
arguments: which item, and the service's shape (``UpdateWorkItemArguments``, …). The
journal's commands (``commands.UpdateWorkItem``, fallback/commands.py) are what a write
stored, not what a caller sent."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from workledger.errors import ValidationError
from workledger.schemas.common import (
    CommitHash,
    Cursor,
    IsoDate,
    NotBlank,
    PageLimit,
    Priority,
    PrNumber,
    ReadModel,
    Title,
    Version,
    WireEnum,
    WithVersion,
    WithVersionOrIfMatch,
)
from workledger.schemas.item_type import (
    ItemType,
    MetadataInput,
    validate_metadata,
)
from workledger.schemas.spend import Spent
from workledger.schemas.strict import ChangeModel, QueryModel, StrictModel

MAX_DEPTH = 4  # depth of the fifth level; a root is at depth 0
# Counting past this many rows to skip them costs more than any page is worth: use cursor.
MAX_OFFSET = 10_000

# A work item id as text (8-4-4-4-12 hex digits), or its short id (the last 8).
_HEX = "[0-9a-fA-F]"
WORK_ITEM_REF_PATTERN = (
    rf"^(?:{_HEX}{{8}}|{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})$"
)
_WORK_ITEM_REF = re.compile(WORK_ITEM_REF_PATTERN)


def item_ref(value: object) -> uuid.UUID | str:
    """An id (given as one or as its text), or a short id in lower case."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and _WORK_ITEM_REF.fullmatch(value):
        return value.lower() if len(value) == 8 else uuid.UUID(value)
    raise ValueError(
        "must be a work item id, or the short id the report shows (its last 8 hex digits)"
    )


# A work item's id, or its short id (the last 8 hex digits, as the report names it): the
# service resolves a short one, and refuses an ambiguous one listing the candidates.
WorkItemRef = Annotated[
    uuid.UUID | str,
    PlainValidator(item_ref, json_schema_input_type=str),
    WithJsonSchema({"type": "string", "pattern": WORK_ITEM_REF_PATTERN}),
]
Assignee = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    *NotBlank,
    Field(description="client name of who works on it"),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=20)]
BranchName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=10_000)]


class ItemStatus(WireEnum):
    active = "active"
    completed = "completed"
    blocked = "blocked"


class DependencyType(WireEnum):
    blocks = "blocks"
    depends_on = "depends_on"


class WorkItemSort(WireEnum):
    created = "created"
    updated = "updated"
    title = "title"  # type: ignore[assignment]  # shadows str.title, harmlessly
    due_date = "due_date"
    priority = "priority"


# --- input ----------------------------------------------------------------------------------


class DependencyIn(StrictModel):
    depends_on_id: WorkItemRef
    dependency_type: DependencyType = DependencyType.depends_on


def _unique_dependencies(deps: list[DependencyIn] | None) -> list[DependencyIn] | None:
    if deps is not None:
        seen = [d.depends_on_id for d in deps]
        if len(seen) != len(set(seen)):
            raise ValidationError.single("dependencies", "lists the same item twice")
    return deps


Dependencies = Annotated[list[DependencyIn], Field(max_length=100)]


class WorkItemFields(StrictModel):
    """What create and update share."""

    description: Description | None = None
    due_date: IsoDate | None = None
    branch_name: BranchName | None = None
    commit_hash: CommitHash | None = None
    pr_number: PrNumber | None = None
    assignee: Assignee | None = None
    metadata: MetadataInput | None = None
    dependencies: Dependencies | None = None


class WorkItemCreate(WorkItemFields):
    item_type: ItemType
    title: Title
    parent_id: WorkItemRef | None = None
    status: ItemStatus = ItemStatus.active
    priority: Priority = Priority.medium
    tags: Tags = Field(default_factory=list)

    @model_validator(mode="after")
    def _typed_metadata(self) -> WorkItemCreate:
        self.metadata = validate_metadata(self.item_type, self.metadata)
        _unique_dependencies(self.dependencies)
        return self


class WorkItemChanges(ChangeModel, WorkItemFields):
    title: Title | None = None
    parent_id: WorkItemRef | None = None
    status: ItemStatus | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    deleted: bool | None = Field(
        default=None, description="true: soft delete; false: restore (a deleted or archived item)"
    )
    cascade: bool = Field(default=False, description="with deleted=true: delete live children too")

    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"title", "status", "priority", "tags", "deleted", "cascade", "dependencies", "metadata"}
    )

    @model_validator(mode="after")
    def _unique(self) -> WorkItemChanges:
        _unique_dependencies(self.dependencies)
        return self


class WorkItemUpdate(WorkItemChanges, WithVersion):
    """The fields to change and the version they were made against."""


class WorkItemPatch(WorkItemChanges, WithVersionOrIfMatch):
    """The fields to change; ``version`` may come as If-Match instead."""


class UpdateWorkItemArguments(WorkItemUpdate):
    """update_work_item's arguments: which item, and its update."""

    id: WorkItemRef
    addressing: ClassVar[frozenset[str]] = WorkItemUpdate.addressing | {"id"}


DEFAULT_LEASE_SECONDS = 1800
LeaseSeconds = Annotated[
    int,
    Field(
        ge=30,
        le=86_400,
        description="how long the claim holds unless you claim again (a heartbeat)",
    ),
]


class Lease(StrictModel):
    """How long a claim holds: the body of a REST claim."""

    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS


class ClaimBody(Lease, WithVersionOrIfMatch):
    """A REST claim's body: the lease, and the version read (checked when given here or
    as If-Match)."""


class ClaimWorkItemArguments(Lease):
    """claim_work_item's arguments: which item, for how long, and (checked when given)
    the version it was read at."""

    id: WorkItemRef
    version: Version | None = Field(default=None, description="checked when given")


class ReleaseWorkItemArguments(StrictModel):
    """release_work_item's arguments."""

    id: WorkItemRef


class ClaimNext(Lease):
    """What to take next: the best ready item among these (the ready order)."""

    item_type: Literal["task", "research"] | None = None
    tag: Tag | None = None
    parent_id: WorkItemRef | None = Field(default=None, description="among its children")


class WorkItemReadOptions(QueryModel):
    """How much of an item to read besides its own fields."""

    include_hierarchy: bool = Field(
        default=False, description="also its ancestors and its descendants"
    )
    max_depth: Annotated[int, Field(ge=1, le=MAX_DEPTH + 1)] = Field(
        default=MAX_DEPTH + 1, description="how many levels of descendants"
    )
    include_deleted: bool = False


class QueryWorkItemArguments(WorkItemReadOptions):
    """The query tool's arguments: which item, and how much of it."""

    id: WorkItemRef


class WorkItemListQuery(QueryModel):
    item_type: ItemType | None = None
    status: ItemStatus | None = None
    ready: bool = Field(
        default=False,
        description="only items to work on now, most urgent, soonest due, oldest first",
    )
    assignee: Assignee | None = None
    parent_id: WorkItemRef | None = None
    root_only: bool = False
    tag: Tag | None = None
    search: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    include_deleted: bool = False
    include_archived: bool = False
    sort: WorkItemSort | None = Field(default=None, description="default: created (newest first)")
    order: Literal["asc", "desc"] | None = Field(
        default=None,
        description="asc or desc; without it each sort's own order (created: newest first, "
        "title: A-Z, due_date: soonest, priority: most urgent)",
    )
    limit: PageLimit = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _one_paging_style(self) -> WorkItemListQuery:
        if self.cursor is not None and self.offset:
            raise ValidationError.single("cursor", "use either offset or cursor, not both")
        if self.root_only and self.parent_id is not None:
            raise ValidationError.single("root_only", "root_only and parent_id exclude each other")
        return self


# --- output ---------------------------------------------------------------------------------


class DependencyRead(ReadModel):
    depends_on_id: uuid.UUID
    dependency_type: DependencyType


class WorkItemBrief(ReadModel):
    """A work item as an agent's list shows it: enough to pick it and act on it. Defaults
    are declared, so that an answer for a model can leave them out."""

    id: uuid.UUID
    item_type: ItemType
    title: str
    status: ItemStatus = ItemStatus.active
    priority: Priority = Priority.medium
    parent_id: uuid.UUID | None = None
    due_date: date | None = None
    tags: list[str] = Field(default_factory=list)
    assignee: str | None = None
    ready: bool = Field(
        default=False,
        description="a task or research item, active, not deleted or archived, unassigned "
        "or yours (or its claim's lease run out), and every dependency completed",
    )
    blocked_by: list[uuid.UUID] = Field(
        default_factory=list, description="the dependencies not completed yet"
    )
    version: int
    deleted_at: datetime | None = None
    archived_at: datetime | None = None

    @classmethod
    def of(cls, item: WorkItemBrief) -> WorkItemBrief:
        """Only the brief's fields of ``item`` (a summary, or more)."""
        return cls.model_construct(**{name: getattr(item, name) for name in cls.model_fields})


class WorkItemSummary(WorkItemBrief):
    """What lists return: enough to choose an item; the query tool gives the rest."""

    depth: int = 0
    updated_at: datetime


class WorkItemRead(WorkItemSummary):
    description: str | None
    branch_name: str | None
    commit_hash: str | None
    pr_number: int | None
    metadata: dict[str, object]
    dependencies: list[DependencyRead]
    created_at: datetime
    created_by: str
    updated_by: str
    created_by_account: str | None = None
    updated_by_account: str | None = None
    assignee_account: str | None = None  # the account whose client claimed it
    claimed_until: datetime | None = None  # when the claim's lease runs out
    spent: Spent = Field(default_factory=Spent)


class WorkItemNode(WorkItemSummary):
    """A descendant in a hierarchy answer: tree order, with its own dependencies."""

    dependencies: list[DependencyRead]


class WorkItemHierarchy(WorkItemRead):
    """The item itself, its ancestors (root first) and its descendants (tree order);
    the two lists are null when the hierarchy was not asked for."""

    ancestors: list[WorkItemSummary] | None = None
    descendants: list[WorkItemNode] | None = None


class ClaimedNext(BaseModel):
    """The item taken, or null when nothing is ready."""

    model_config = ConfigDict(frozen=True)

    item: WorkItemRead | None
