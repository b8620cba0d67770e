"""Journaled writes as explicit commands: what the journal stores and replay dispatches.

Each command is a frozen model with a stable ``type`` tag (``work_item.update``), the ids
it makes and the version it was made against inside it, so a replay makes the same ids
and checks the same version without anything else to tell it. The stored JSON of every
type is pinned by a golden file (tests/fixtures/outage/commands.json): change a command's
fields only with a new type tag, or a reading of the old shape, so that a journal written
by the previous release still replays (``legacy`` reads the release before commands).

The keyword arguments of the service method a command stands for are the command's
fields (``arguments``); ``apply`` calls that method, written out per command so that a
renamed method is a type error rather than a journal entry nobody can replay."""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Protocol, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from workledger.db.types import utcnow
from workledger.models import new_id
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate, DeploymentRead
from workledger.schemas.enhancement import EnhancementCreate, EnhancementRead, EnhancementUpdate
from workledger.schemas.project_configuration import (
    ProjectConfigurationRead,
    ProjectConfigurationUpdate,
)
from workledger.schemas.vendor import VendorCreate, VendorRead, VendorUpdate
from workledger.schemas.work_item import (
    DEFAULT_LEASE_SECONDS,
    WorkItemCreate,
    WorkItemRead,
    WorkItemUpdate,
)

if TYPE_CHECKING:
    from workledger.services.deployment import DeploymentService
    from workledger.services.enhancement import EnhancementService
    from workledger.services.ledger import LedgerService
    from workledger.services.project_configuration import ProjectConfigurationService
    from workledger.services.vendor import VendorService
    from workledger.services.work_item import WorkItemService


class Handlers(Protocol):
    """The services commands are applied by (the container has them)."""

    @property
    def work_items(self) -> WorkItemService: ...
    @property
    def vendors(self) -> VendorService: ...
    @property
    def deployments(self) -> DeploymentService: ...
    @property
    def enhancements(self) -> EnhancementService: ...
    @property
    def configuration(self) -> ProjectConfigurationService: ...
    @property
    def ledgers(self) -> LedgerService: ...


class Command(BaseModel, ABC):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    # The kind of record the command changes, and the field naming it (if any).
    record_type: ClassVar[str]
    names_record: ClassVar[str | None] = None
    # The field a create chooses its new record's id in, before it runs.
    new_id_field: ClassVar[str | None] = None

    @classmethod
    def of(cls, arguments: dict[str, object]) -> Self:
        """The command for a call with these keyword arguments (the actor aside)."""
        given = {name: value for name, value in arguments.items() if value is not None}
        if cls.new_id_field is not None and cls.new_id_field not in given:
            given[cls.new_id_field] = new_id()
        return cls.model_validate(given)

    def arguments(self) -> dict[str, object]:
        """The service method's keyword arguments (the actor aside)."""
        return {name: getattr(self, name) for name in self.model_fields_set if name != "type"}

    def record_id(self) -> uuid.UUID | None:
        field = self.new_id_field or self.names_record
        found = None if field is None else getattr(self, field)
        return found if isinstance(found, uuid.UUID) else None

    def made_against(self) -> int | None:
        """The version of the record the change names (None: a create, or whatever is
        current)."""
        for holder in (self, getattr(self, "data", None)):
            version = getattr(holder, "version", None)
            if isinstance(version, int):
                return version
        return None

    def settled(self, *, record_id: uuid.UUID | None, version: int | None) -> Self:
        """The command as replay must make it: naming the record by its full id, and
        made against ``version`` where the call named none (only a restore may not)."""
        if self.names_record is None or record_id is None:
            return self
        return self.model_copy(update={self.names_record: record_id})

    @abstractmethod
    async def apply(self, handlers: Handlers, *, actor: Actor) -> BaseModel | None:
        """Make the write, by the service method the command stands for; its answer."""

    def dump(self) -> str:
        """The stored JSON: what the caller gave, not the defaults."""
        stored = {"type": self.type} | self.model_dump(
            mode="json", exclude_unset=True, exclude={"type"}
        )
        return json.dumps(stored, separators=(",", ":"))


# --- work items ---------------------------------------------------------------------------


class CreateWorkItem(Command):
    type: Literal["work_item.create"] = "work_item.create"
    record_type = "work_item"
    new_id_field = "item_id"
    item_id: uuid.UUID
    data: WorkItemCreate

    async def apply(self, handlers: Handlers, *, actor: Actor) -> WorkItemRead:
        return await handlers.work_items.create(actor=actor, data=self.data, item_id=self.item_id)


class _OnWorkItem(Command, ABC):
    """A change of one work item, named by its id or short id until settled."""

    record_type = "work_item"
    names_record = "item_id"
    item_id: uuid.UUID | str


class UpdateWorkItem(_OnWorkItem):
    type: Literal["work_item.update"] = "work_item.update"
    data: WorkItemUpdate

    async def apply(self, handlers: Handlers, *, actor: Actor) -> WorkItemRead:
        return await handlers.work_items.update(actor=actor, item_id=self.item_id, data=self.data)


class ClaimWorkItem(_OnWorkItem):
    type: Literal["work_item.claim"] = "work_item.claim"
    version: int | None = None
    # Journaled before leases: the default lease, counted from the replay.
    lease_seconds: int = DEFAULT_LEASE_SECONDS

    async def apply(self, handlers: Handlers, *, actor: Actor) -> WorkItemRead:
        return await handlers.work_items.claim(
            actor=actor,
            item_id=self.item_id,
            version=self.version,
            lease_seconds=self.lease_seconds,
        )


class ReleaseWorkItem(_OnWorkItem):
    type: Literal["work_item.release"] = "work_item.release"
    version: int | None = None

    async def apply(self, handlers: Handlers, *, actor: Actor) -> WorkItemRead:
        return await handlers.work_items.release(
            actor=actor, item_id=self.item_id, version=self.version
        )


class DeleteWorkItem(_OnWorkItem):
    type: Literal["work_item.delete"] = "work_item.delete"
    version: int
    cascade: bool = False

    async def apply(self, handlers: Handlers, *, actor: Actor) -> WorkItemRead:
        return await handlers.work_items.delete(
            actor=actor, item_id=self.item_id, version=self.version, cascade=self.cascade
        )


class RestoreWorkItem(_OnWorkItem):
    type: Literal["work_item.restore"] = "work_item.restore"
    version: int | None = None

    def settled(self, *, record_id: uuid.UUID | None, version: int | None) -> Self:
        settled = super().settled(record_id=record_id, version=version)
        if self.version is None and version is not None:
            return settled.model_copy(update={"version": version})
        return settled

    async def apply(self, handlers: Handlers, *, actor: Actor) -> WorkItemRead:
        return await handlers.work_items.restore(
            actor=actor, item_id=self.item_id, version=self.version
        )


# --- vendors, deployments, enhancements, the configuration ----------------------------------


class CreateVendor(Command):
    type: Literal["vendor.create"] = "vendor.create"
    record_type = "vendor"
    new_id_field = "vendor_id"
    vendor_id: uuid.UUID
    data: VendorCreate

    async def apply(self, handlers: Handlers, *, actor: Actor) -> VendorRead:
        return await handlers.vendors.create(actor=actor, data=self.data, vendor_id=self.vendor_id)


class UpdateVendor(Command):
    type: Literal["vendor.update"] = "vendor.update"
    record_type = "vendor"
    names_record = "vendor_id"
    vendor_id: uuid.UUID | None = None
    name: str | None = None  # by name, until settled by id
    data: VendorUpdate

    def settled(self, *, record_id: uuid.UUID | None, version: int | None) -> Self:
        if record_id is None:
            return self
        return type(self)(vendor_id=record_id, data=self.data)

    async def apply(self, handlers: Handlers, *, actor: Actor) -> VendorRead:
        return await handlers.vendors.update(
            actor=actor, data=self.data, vendor_id=self.vendor_id, name=self.name
        )


class RecordDeployment(Command):
    type: Literal["deployment.record"] = "deployment.record"
    record_type = "deployment"
    new_id_field = "deployment_id"
    deployment_id: uuid.UUID
    data: DeploymentCreate

    @classmethod
    def of(cls, arguments: dict[str, object]) -> Self:
        """Deployed now, unless the call says when: a replay hours later keeps the time."""
        command = super().of(arguments)
        if command.data.deployed_at is not None:
            return command
        data = command.data.model_copy(update={"deployed_at": utcnow()})
        return command.model_copy(update={"data": data})

    async def apply(self, handlers: Handlers, *, actor: Actor) -> DeploymentRead:
        return await handlers.deployments.record(
            actor=actor, data=self.data, deployment_id=self.deployment_id
        )


class CreateEnhancement(Command):
    type: Literal["enhancement.create"] = "enhancement.create"
    record_type = "enhancement"
    new_id_field = "enhancement_id"
    enhancement_id: uuid.UUID
    data: EnhancementCreate

    async def apply(self, handlers: Handlers, *, actor: Actor) -> EnhancementRead:
        return await handlers.enhancements.create(
            actor=actor, data=self.data, enhancement_id=self.enhancement_id
        )


class _OnEnhancement(Command, ABC):
    record_type = "enhancement"
    names_record = "enhancement_id"
    enhancement_id: uuid.UUID


class UpdateEnhancement(_OnEnhancement):
    type: Literal["enhancement.update"] = "enhancement.update"
    data: EnhancementUpdate

    async def apply(self, handlers: Handlers, *, actor: Actor) -> EnhancementRead:
        return await handlers.enhancements.update(
            actor=actor, enhancement_id=self.enhancement_id, data=self.data
        )


class DeleteEnhancement(_OnEnhancement):
    type: Literal["enhancement.delete"] = "enhancement.delete"
    version: int

    async def apply(self, handlers: Handlers, *, actor: Actor) -> None:
        return await handlers.enhancements.delete(
            actor=actor, enhancement_id=self.enhancement_id, version=self.version
        )


class UpdateConfiguration(Command):
    type: Literal["project_configuration.update"] = "project_configuration.update"
    record_type = "project_configuration"
    data: ProjectConfigurationUpdate

    async def apply(self, handlers: Handlers, *, actor: Actor) -> ProjectConfigurationRead:
        return await handlers.configuration.update(actor=actor, data=self.data)


# A stored command, told by its type tag.
TaggedCommand = Annotated[
    CreateWorkItem
    | UpdateWorkItem
    | ClaimWorkItem
    | ReleaseWorkItem
    | DeleteWorkItem
    | RestoreWorkItem
    | CreateVendor
    | UpdateVendor
    | RecordDeployment
    | CreateEnhancement
    | UpdateEnhancement
    | DeleteEnhancement
    | UpdateConfiguration,
    Field(discriminator="type"),
]
_COMMAND: TypeAdapter[TaggedCommand] = TypeAdapter(TaggedCommand)
TYPES: tuple[str, ...] = tuple(
    model.model_fields["type"].default for model in get_args(get_args(TaggedCommand)[0])
)


def load(stored: str) -> Command:
    """A stored command; ValueError when it is not one this release knows."""
    return _COMMAND.validate_json(stored)


# --- the release before commands -----------------------------------------------------------

# Its entries named the service method that made them, and kept the ids they made and the
# version they were made against beside their arguments.
_LEGACY: dict[str, type[Command]] = {
    "WorkItemService.create": CreateWorkItem,
    "WorkItemService.update": UpdateWorkItem,
    "WorkItemService.claim": ClaimWorkItem,
    "WorkItemService.delete": DeleteWorkItem,
    "WorkItemService.restore": RestoreWorkItem,
    "VendorService.create": CreateVendor,
    "VendorService.update": UpdateVendor,
    "DeploymentService.record": RecordDeployment,
    "EnhancementService.create": CreateEnhancement,
    "EnhancementService.update": UpdateEnhancement,
    "EnhancementService.delete": DeleteEnhancement,
    "ProjectConfigurationService.update": UpdateConfiguration,
}


def legacy(
    operation: str,
    arguments: dict[str, object],
    *,
    ids: list[str],
    record_id: str | None,
    base_version: int | None,
) -> Command:
    """An entry of the release before commands, as the command it stood for."""
    kind = _LEGACY.get(operation)
    if kind is None:
        raise ValueError(f"unknown operation {operation}")
    given = dict(arguments)
    if kind.new_id_field is not None:
        # The id it made; none when it made nothing (a deployment recorded before).
        given.setdefault(kind.new_id_field, ids[0] if ids else record_id)
    command = kind.model_validate_json(json.dumps(given))
    return command.settled(record_id=None, version=base_version)
