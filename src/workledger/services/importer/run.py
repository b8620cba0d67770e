"""What every section of an import shares: the run's actor, warnings and tallies, and
the one way an entry of the file becomes a record (loaded by its schema, written by its
service's batch call, refused entries skipped with a warning)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Generic, Protocol, TypeVar

from workledger.errors import WorkledgerError
from workledger.schemas.common import Actor
from workledger.services.deployment import DeploymentService
from workledger.services.enhancement import EnhancementService
from workledger.services.vendor import VendorService
from workledger.services.work_item import WorkItemService
from workledger.services.work_log import WorkLogService
from workledger.status_file.document import ParseWarning, StatusDocument

S = TypeVar("S")
S_in = TypeVar("S_in", contravariant=True)
S_out = TypeVar("S_out", covariant=True)
R = TypeVar("R")
R_out = TypeVar("R_out", covariant=True)
D_co = TypeVar("D_co", covariant=True)

# The kinds of record an import creates, as ``ImportResult.created`` counts them.
RECORD_KINDS = ("vendors", "work_items", "sessions", "deployments", "enhancements")


class Loadable(Protocol[S_out]):
    """A schema that loads raw input, raising the domain's ValidationError."""

    @classmethod
    def load(cls, raw: Mapping[str, object]) -> S_out: ...


class CreatesMany(Protocol[S_in, R_out]):
    """A service's batch create: each item made, or the error that refused it."""

    async def __call__(
        self, *, actor: Actor, items: Sequence[S_in], ids: Sequence[uuid.UUID | None] = ()
    ) -> Sequence[R_out | WorkledgerError]: ...


@dataclass(frozen=True)
class Ledger:
    """The services an import writes through: the same calls the doors make."""

    vendors: VendorService
    work_items: WorkItemService
    deployments: DeploymentService
    enhancements: EnhancementService
    work_logs: WorkLogService


@dataclass(frozen=True)
class Entry(Generic[D_co]):
    """An entry of the file on its way in: its line, its data, the file it came from
    (None: the status file) and, when chosen up front, the id its record gets."""

    line: int
    data: D_co
    source: str | None = None
    id: uuid.UUID | None = None


@dataclass
class Run:
    """One import's actor, warnings, tallies, and the ids of what it has created that
    later sections link to."""

    actor: Actor
    ledger: Ledger
    document: StatusDocument
    warnings: list[ParseWarning] = field(init=False)
    created: dict[str, int] = field(init=False)
    vendor_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by vendor name
    work_item_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # by short id

    def __post_init__(self) -> None:
        self.warnings = list(self.document.warnings)
        self.created = dict.fromkeys(RECORD_KINDS, 0)

    def warn(self, line: int, message: str, *, source: str | None = None) -> None:
        """A warning at ``line`` of ``source`` (None: the status file)."""
        self.warnings.append(ParseWarning(source or self.document.source, line, message))

    async def write(
        self,
        kind: str,
        schema: type[Loadable[S]],
        entries: Sequence[Entry[Mapping[str, object]]],
        create: CreatesMany[S, R],
    ) -> list[tuple[Entry[S], R]]:
        """Each entry the schema takes, written in one batch call, counted under
        ``kind``: the entries and the records made of them. Every other entry is
        skipped, warned."""
        loaded: list[Entry[S]] = []
        for raw in entries:
            try:
                loaded.append(Entry(raw.line, schema.load(raw.data), raw.source, raw.id))
            except WorkledgerError as refused:
                self.warn(raw.line, f"skipped: {refused}", source=raw.source)
        made = await create(
            actor=self.actor, items=[entry.data for entry in loaded], ids=[e.id for e in loaded]
        )
        written = []
        for entry, result in zip(loaded, made, strict=True):
            if isinstance(result, WorkledgerError):
                self.warn(entry.line, f"skipped: {result}", source=entry.source)
            else:
                self.created[kind] += 1
                written.append((entry, result))
        return written

    def entry(self, line: int) -> _OwnCall:
        """One record's own service call: refused, a warning."""
        return _OwnCall(self, line)


class _OwnCall:
    def __init__(self, run: Run, line: int) -> None:
        self.run, self.line = run, line

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if isinstance(exc, WorkledgerError):
            self.run.warn(self.line, f"skipped: {exc}")
            return True
        return False
