"""Import a status file into an empty account, reconciled, all or nothing.

Every record goes through the same service call the doors use (so the same rules
apply), all inside one write transaction: each call is a savepoint, so a refused entry
is skipped with a warning, and if any of the five reconciliation checks then fails (or
it is a dry run) the whole import rolls back."""

from __future__ import annotations

import graphlib
import uuid
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, TypeVar

from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, FieldError, ValidationError, WorkledgerError
from workledger.models import Vendor, ids_ending_in
from workledger.models.vendor import stored_formats
from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.common import Actor, as_integer
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.vendor import VendorCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate
from workledger.services.common import Service
from workledger.services.deployment import DeploymentService
from workledger.services.enhancement import EnhancementService
from workledger.services.vendor import VendorService
from workledger.services.work_item import WorkItemService
from workledger.status_file.document import (
    VENDOR_LABELS,
    ParseWarning,
    SourceSession,
    SourceVendor,
    SourceWorkItem,
    StatusDocument,
)

T = TypeVar("T", covariant=True)
R = TypeVar("R")


class Loadable(Protocol[T]):
    """A schema that loads raw input, raising the domain's ValidationError."""

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> T: ...


MIGRATION_CLIENT = "migration"
# What ``ImportService.run`` reports as it goes, in order.
IMPORT_STEPS = ("vendors", "work items", "session prompts", "deployments", "enhancements", "checks")
MAX_DESCRIPTION = 10_000
# What an imported session prompt's status is when its frontmatter does not say: the
# prompts of a hand-kept file are past sessions.
SESSION_DEFAULT_STATUS = "completed"


@dataclass(frozen=True)
class Check:
    name: str
    source: int
    database: int
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.source == self.database and not self.problems


@dataclass
class ImportResult:
    checks: list[Check]
    warnings: list[ParseWarning]
    created: dict[str, int]
    dry_run: bool

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def committed(self) -> bool:
        return self.passed and not self.dry_run


class _RollBack(Exception):
    """Leaves the import's transaction, undoing it, with the result to report."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("import rolled back")
        self.result = result


class ImportService(Service):
    def __init__(
        self,
        db: Database,
        *,
        vendors: VendorService,
        work_items: WorkItemService,
        deployments: DeploymentService,
        enhancements: EnhancementService,
    ) -> None:
        super().__init__(db)
        self.vendors = vendors
        self.work_items = work_items
        self.deployments = deployments
        self.enhancements = enhancements

    async def run(
        self,
        *,
        account_id: uuid.UUID,
        document: StatusDocument,
        dry_run: bool = False,
        on_step: Callable[[str], object] = lambda step: None,
    ) -> ImportResult:
        """Import ``document`` (session prompt files included) into an empty account.

        Records are written by the client ``migration``. The result says which checks
        passed; unless all did and this is not a dry run, nothing was kept. ``on_step``
        hears each of IMPORT_STEPS as it begins."""
        if not document.census.entries and not _holds_records(document):
            reason = _nothing_to_import(document)
            raise ValidationError([FieldError("file", reason)], message=reason)
        run = _Run(Actor(account_id=account_id, client=MIGRATION_CLIENT), document)
        prompts = document.sessions
        try:
            async with self.db.transaction() as session:
                holdings = HoldingsRepository(session, account_id=account_id)
                await _refuse_unless_empty(holdings)
                on_step("vendors")
                vendors = await self._vendors(run, document.vendors)
                on_step("work items")
                items = await self._work_items(run, document.work_items)
                on_step("session prompts")
                await self._sessions(run, prompts)
                on_step("deployments")
                await self._deployments(run, document, vendors, items)
                on_step("enhancements")
                await self._enhancements(run, document)
                on_step("checks")
                checks = await _reconcile(holdings, document, prompts)
                result = ImportResult(checks, run.warnings, run.created, dry_run)
                if not result.committed:
                    raise _RollBack(result)
        except _RollBack as rolled_back:
            return rolled_back.result
        return result

    # --- records --------------------------------------------------------------------------
    # Each kind goes through its service's batch method: the rules of one create, a few
    # statements for all of them.

    async def _vendors(self, run: _Run, vendors: list[SourceVendor]) -> dict[str, uuid.UUID]:
        """Create the vendors; answers the id of each vendor name created."""
        loaded = run.load(VendorCreate, [(v.line, None, _vendor_data(v)) for v in vendors])
        made = await self.vendors.create_many(actor=run.actor, items=[d for *_, d in loaded])
        settled = [
            run.settle(result, "vendors", line, source)
            for (line, source, _), result in zip(loaded, made, strict=True)
        ]
        return {vendor.name: vendor.id for vendor in settled if vendor is not None}

    async def _work_items(self, run: _Run, items: list[SourceWorkItem]) -> dict[str, uuid.UUID]:
        """Create the report's tree; answers the new id of each short id created.

        Parents and the items depended on are created first, so that each item is
        created whole (version 1); ids are chosen up front, in document order, so the
        tree keeps its order and its short ids."""
        listed: dict[str, SourceWorkItem] = {}
        for item in items:
            if item.short_id in listed:
                run.warn(item.line, f"skipped: short id `{item.short_id}` is listed twice")
            else:
                listed[item.short_id] = item
        new_ids = dict(zip(listed, ids_ending_in(list(listed)), strict=True))
        order, link_later = _creation_order(list(listed.values()))
        entries = []
        for item in order:
            if item.parent_short_id is not None and item.parent_short_id not in new_ids:
                run.warn(item.line, "skipped: its parent was not imported")
                continue
            data = {
                "item_type": item.item_type,
                "title": item.title,
                "status": item.status,
                "priority": item.priority,
                "assignee": item.assignee,
                "parent_id": new_ids.get(item.parent_short_id or ""),
                "dependencies": [] if link_later else _dependencies(run, item, new_ids),
            }
            entries.append((item.line, None, data))
        loaded = run.load(WorkItemCreate, entries)
        by_line = {item.line: item for item in order}
        made = await self.work_items.create_many(
            actor=run.actor,
            items=[d for *_, d in loaded],
            ids=[new_ids[by_line[line].short_id] for line, *_ in loaded],
        )
        created = {}
        for (line, source, _), result in zip(loaded, made, strict=True):
            if (made_item := run.settle(result, "work_items", line, source)) is not None:
                created[by_line[line].short_id] = made_item.id
        for item in order if link_later else ():
            if item.short_id in created and item.dependencies:
                async with run.entry(item.line):
                    await self._link(run, created[item.short_id], item, created)
        return created

    async def _link(
        self, run: _Run, item_id: uuid.UUID, item: SourceWorkItem, created: dict[str, uuid.UUID]
    ) -> None:
        current = await self.work_items.get(actor=run.actor, item_id=item_id)
        change = {"version": current.version, "dependencies": _dependencies(run, item, created)}
        await self.work_items.update(
            actor=run.actor, item_id=item_id, data=WorkItemUpdate.load(change)
        )

    async def _sessions(self, run: _Run, prompts: list[SourceSession]) -> None:
        entries = []
        for prompt in prompts:
            frontmatter = prompt.frontmatter
            metadata = {"yaml_frontmatter": frontmatter} | {
                # A count as a person writes it in YAML: 8000, 8000.0 or "8000".
                key: as_integer(frontmatter[key], digits=True)
                for key in ("token_budget", "prompts_count")
                if frontmatter.get(key) is not None  # `key:` with nothing after it
            }
            status = frontmatter.get("status")
            if len(prompt.body) > MAX_DESCRIPTION:
                run.warn_at(
                    prompt.source,
                    prompt.line,
                    f"prompt text cut to its first {MAX_DESCRIPTION:,} characters",
                )
            data = {
                "item_type": "session",
                "title": prompt.title,
                "description": prompt.body[:MAX_DESCRIPTION] or None,
                "status": status if status in SESSION_STATUSES else SESSION_DEFAULT_STATUS,
                "metadata": metadata,
            }
            entries.append((prompt.line, prompt.source, data))
        loaded = run.load(WorkItemCreate, entries)
        made = await self.work_items.create_many(actor=run.actor, items=[d for *_, d in loaded])
        for (line, source, _), result in zip(loaded, made, strict=True):
            run.settle(result, "sessions", line, source)

    async def _deployments(
        self,
        run: _Run,
        document: StatusDocument,
        vendors: dict[str, uuid.UUID],
        items: dict[str, uuid.UUID],
    ) -> None:
        # Oldest first, and among equal times the one listed last first: the ids then
        # break ties the way the report lists them (newest id first).
        listed = sorted(
            enumerate(document.deployments), key=lambda pair: (pair[1].deployed_at, -pair[0])
        )
        entries = []
        for _, deployment in listed:
            for name in deployment.vendor_names:
                if name not in vendors:
                    run.warn(deployment.line, f"vendor {name!r} was not imported; link dropped")
            for short in deployment.work_item_short_ids:
                if short not in items:
                    run.warn(deployment.line, f"work item `{short}` was not imported; link dropped")
            data = {
                "pr_number": deployment.pr_number,
                "pr_title": deployment.pr_title,
                "commit_hash": deployment.commit_hash,
                "deployed_at": deployment.deployed_at,
                "test_summary": deployment.test_summary,
                "constitutional_compliance": deployment.constitutional_compliance,
                "vendor_ids": _known(deployment.vendor_names, vendors),
                "work_item_ids": _known(deployment.work_item_short_ids, items),
            }
            entries.append((deployment.line, None, data))
        loaded = run.load(DeploymentCreate, entries)
        made = await self.deployments.record_many(actor=run.actor, items=[d for *_, d in loaded])
        for (line, source, _), result in zip(loaded, made, strict=True):
            run.settle(result, "deployments", line, source)

    async def _enhancements(self, run: _Run, document: StatusDocument) -> None:
        entries = [
            (
                enhancement.line,
                None,
                {
                    "title": enhancement.title,
                    "priority": enhancement.priority,
                    "status": enhancement.status,
                    "target_quarter": enhancement.target_quarter,
                    "description": enhancement.description,
                },
            )
            for enhancement in document.enhancements
        ]
        loaded = run.load(EnhancementCreate, entries)
        made = await self.enhancements.create_many(actor=run.actor, items=[d for *_, d in loaded])
        for (line, source, _), result in zip(loaded, made, strict=True):
            run.settle(result, "enhancements", line, source)


def _vendor_data(vendor: SourceVendor) -> dict[str, Any]:
    data: dict[str, Any] = {"name": vendor.name}
    if vendor.status is not None:
        data["status"] = vendor.status
    if "test_results" in vendor.given:
        data["test_results"] = {
            "passing": vendor.passing,
            "total": vendor.total,
            "skipped": vendor.skipped or 0,
        }
    if vendor.format_support is not None:
        data["format_support"] = vendor.format_support
    if vendor.extractor_version is not None:
        data["extractor_version"] = vendor.extractor_version
    if vendor.manifest_compliant is not None:
        data["manifest_compliant"] = vendor.manifest_compliant
    return data


SESSION_STATUSES = ("active", "completed", "blocked")
RECORD_KINDS = ("vendors", "work_items", "sessions", "deployments", "enhancements")


# An entry of the file on its way in: its line, its file (None: the status file), its data.
Loaded = tuple[int, str | None, T]


class _Run:
    """One import's actor, warnings and tallies."""

    def __init__(self, actor: Actor, document: StatusDocument) -> None:
        self.actor = actor
        self.source = document.source
        self.warnings = list(document.warnings)
        self.created: dict[str, int] = dict.fromkeys(RECORD_KINDS, 0)

    def warn(self, line: int, message: str) -> None:
        self.warn_at(self.source, line, message)

    def warn_at(self, source: str, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(source, line, message))

    def load(
        self,
        schema: type[Loadable[T]],
        entries: Sequence[tuple[int, str | None, Mapping[str, Any]]],
    ) -> list[Loaded[T]]:
        """The entries whose data the schema takes; each other one is skipped, warned."""
        loaded: list[Loaded[T]] = []
        for line, source, raw in entries:
            try:
                loaded.append((line, source, schema.load(raw)))
            except WorkledgerError as refused:
                self.warn_at(source or self.source, line, f"skipped: {refused}")
        return loaded

    def settle(
        self, result: R | WorkledgerError, kind: str, line: int, source: str | None
    ) -> R | None:
        """The record its service made, counted; or None, warning of the entry refused."""
        if isinstance(result, WorkledgerError):
            self.warn_at(source or self.source, line, f"skipped: {result}")
            return None
        self.created[kind] += 1
        return result

    def entry(self, line: int) -> _Entry:
        return _Entry(self, line)


class _Entry:
    """One record's own service call: refused, a warning."""

    def __init__(self, run: _Run, line: int) -> None:
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


def _creation_order(items: list[SourceWorkItem]) -> tuple[list[SourceWorkItem], bool]:
    """Items ordered so parents and dependencies come first, and whether dependencies
    must instead be linked in a second pass (a parent that depends on its own child
    leaves no such order)."""
    listed = {item.short_id: item for item in items}
    graph = {
        item.short_id: {
            *([item.parent_short_id] if item.parent_short_id else []),
            *(target for target, _ in item.dependencies if target in listed),
        }
        for item in items
    }
    try:
        return [
            listed[short]
            for short in graphlib.TopologicalSorter(graph).static_order()
            if short in listed
        ], False
    except graphlib.CycleError:
        return items, True


def _dependencies(
    run: _Run, item: SourceWorkItem, created: dict[str, uuid.UUID]
) -> list[dict[str, Any]]:
    links = []
    for target, kind in item.dependencies:
        if target in created:
            links.append({"depends_on_id": created[target], "dependency_type": kind})
        else:
            run.warn(item.line, f"dependency on `{target}` dropped: that item was not imported")
    return links


def _known(keys: list[str], ids: dict[str, uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids[key] for key in keys if key in ids))


# --- before and after ---------------------------------------------------------------------


def _holds_records(document: StatusDocument) -> bool:
    return any(getattr(document, kind) for kind in RECORD_KINDS)


def _nothing_to_import(document: StatusDocument) -> str:
    """Why a file gives nothing to import: which sections were expected, which found."""
    where = f"nothing to import from {document.source}"
    if document.empty:
        return f"{where}: the file is empty"
    if document.sections:
        found = ", ".join(f"{heading!r} (line {line})" for _, heading, line in document.sections)
        return f"{where}: its sections {found} hold no entry"
    expected = (
        "headings naming vendors, deployments or releases, enhancements or a roadmap, "
        "session prompts, or work items"
    )
    unread = ", ".join(f"{heading!r} (line {line})" for heading, line in document.unread_sections)
    return f"{where}: no section was recognised; expected {expected}; found " + (
        unread or "no heading at all"
    )


async def _refuse_unless_empty(holdings: HoldingsRepository) -> None:
    held = await holdings.counts()
    if any(held.values()):
        listed = ", ".join(f"{count} {kind}" for kind, count in held.items() if count)
        raise Conflict(
            f"this account already holds records ({listed}); an import goes into an "
            "empty account: set WORKLEDGER_ACCOUNT to a new one"
        )


async def _reconcile(
    holdings: HoldingsRepository, document: StatusDocument, prompts: list[SourceSession]
) -> list[Check]:
    """The checks: what the file's outline holds (``document.census``, counted apart
    from the entry readers) against what the database now holds. An entry the readers
    missed still counts on the source side, so its check fails and names its line."""
    census = document.census
    vendors = await holdings.vendors()
    read_vendors = {v.line: v for v in document.vendors}
    unread_vendors = _unread(census.vendors, read_vendors, "not read as a vendor")
    recorded_prs = await holdings.deployment_prs()
    in_file = {p.line for p in prompts if p.source == document.source}
    from_files = {p.source for p in prompts}
    complete = [
        name
        for name, source in {v.name: v for v in document.vendors}.items()
        if _vendor_problem(source, vendors.get(name)) is None
    ]
    checks = [
        Check(
            "vendor count",
            len(census.vendors),
            len(vendors),
            [f"{v.name}: not imported" for v in document.vendors if v.name not in vendors]
            + unread_vendors,
        ),
        Check(
            "deployment history (every PR)",
            len(census.deployment_prs),
            len(recorded_prs),
            [
                f"line {line}: PR #{pr} not recorded"
                for pr, line in sorted(census.deployment_prs.items())
                if pr not in recorded_prs
            ]
            + [
                f"line {line}: a deployment that names no PR"
                for line in census.deployments_without_pr
            ],
        ),
        Check(
            "enhancement count",
            len(census.enhancements),
            await holdings.enhancement_count(),
            _unread(
                census.enhancements,
                {e.line for e in document.enhancements},
                "not read as an enhancement",
            ),
        ),
        Check(
            "session prompt count",
            len(census.sessions) + len(census.session_files) + len(census.work_item_sessions),
            await holdings.live_session_count(),
            _unread(census.sessions, in_file, "session prompt not read")
            + [
                f"{path}: session prompt not read"
                for path in census.session_files
                if path not in from_files
            ],
        ),
        Check(
            "vendor metadata completeness",
            len(census.vendors),
            len(complete),
            [
                problem
                for name, source in {v.name: v for v in document.vendors}.items()
                if (problem := _vendor_problem(source, vendors.get(name)))
            ]
            + unread_vendors,
        ),
    ]
    if census.work_items:
        stored = await holdings.work_item_short_ids()
        checks.append(
            Check(
                "work item count",
                len(census.work_items),
                sum(short in stored for _, short in census.work_items),
                [
                    f"line {line}: work item not imported"
                    for line, short in census.work_items
                    if short not in stored
                ],
            )
        )
    return checks


def _unread(lines: list[int], read: Container[int], what: str) -> list[str]:
    return [f"line {line}: {what}" for line in lines if line not in read]


def _vendor_problem(source: SourceVendor, stored: Vendor | None) -> str | None:
    """Why a vendor's metadata is not complete and faithful, or None."""
    where = f"line {source.line}: {source.name}"
    if source.missing:
        missing = ", ".join(VENDOR_LABELS[name] for name in source.missing)
        return f"{where}: the file gives no {missing}"
    if stored is None:
        return f"{where}: not imported"
    expected: dict[str, object] = {
        "status": source.status,
        "test_results": (source.passing, source.total, source.skipped or 0),
        "format_support": source.format_support,
        "extractor_version": source.extractor_version,
        "manifest_compliant": source.manifest_compliant,
    }
    actual: dict[str, object] = {
        "status": stored.status,
        "test_results": (stored.tests_passing, stored.tests_total, stored.tests_skipped),
        "format_support": stored_formats(stored),
        "extractor_version": stored.extractor_version,
        "manifest_compliant": stored.manifest_compliant,
    }
    differing = [VENDOR_LABELS[name] for name in VENDOR_LABELS if expected[name] != actual[name]]
    if differing:
        return f"{where}: the database differs from the file in {', '.join(differing)}"
    return None
