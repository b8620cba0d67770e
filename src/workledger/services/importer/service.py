"""The import itself: one write transaction around every section's records, then the
reconciliation checks; kept only when every check passed and this is no dry run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, FieldError, ValidationError
from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.common import Actor
from workledger.services.common import Service
from workledger.services.deployment import DeploymentService
from workledger.services.enhancement import EnhancementService
from workledger.services.importer.deployment import check_deployment_history, write_deployments
from workledger.services.importer.enhancement import check_enhancement_count, write_enhancements
from workledger.services.importer.result import Check, ImportResult, Reconcile
from workledger.services.importer.run import RECORD_KINDS, Ledger, Run
from workledger.services.importer.session import check_session_count, write_sessions
from workledger.services.importer.vendor import (
    check_vendor_count,
    check_vendor_metadata,
    write_vendors,
)
from workledger.services.importer.work_item import check_work_item_count, write_work_items
from workledger.services.vendor import VendorService
from workledger.services.work_item import WorkItemService
from workledger.services.work_log import WorkLogService
from workledger.status_file.document import StatusDocument

MIGRATION_CLIENT = "migration"


@dataclass(frozen=True)
class Step:
    """A section of the import: what ``on_step`` hears as it begins, and its writing."""

    name: str
    write: Callable[[Run], Awaitable[None]]


# In this order: deployments link to the vendors and work items written before them.
STEPS = (
    Step("vendors", write_vendors),
    Step("work items", write_work_items),
    Step("session prompts", write_sessions),
    Step("deployments", write_deployments),
    Step("enhancements", write_enhancements),
)
# What ``ImportService.run`` reports as it goes, in order.
IMPORT_STEPS = (*(step.name for step in STEPS), "checks")
# The reconciliation checks, in the order the result lists them.
CHECKS: tuple[Reconcile, ...] = (
    check_vendor_count,
    check_deployment_history,
    check_enhancement_count,
    check_session_count,
    check_vendor_metadata,
    check_work_item_count,
)


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
        work_logs: WorkLogService,
    ) -> None:
        super().__init__(db)
        self.ledger = Ledger(
            vendors=vendors,
            work_items=work_items,
            deployments=deployments,
            enhancements=enhancements,
            work_logs=work_logs,
        )

    async def run(
        self,
        *,
        actor: Actor,
        document: StatusDocument,
        dry_run: bool = False,
        on_step: Callable[[str], object] = lambda step: None,
    ) -> ImportResult:
        """Import ``document`` (session prompt files included) into ``actor``'s ledger, empty.

        Records are written by the client ``migration``. The result says which checks
        passed; unless all did and this is not a dry run, nothing was kept. ``on_step``
        hears each of IMPORT_STEPS as it begins.

        Every record goes through the same service call the doors use (so the same rules
        apply), all inside one write transaction: each call is a savepoint, so a refused
        entry is skipped with a warning, and if a check then fails (or it is a dry run)
        the whole import rolls back."""
        if not document.census.entries and not _holds_records(document):
            reason = _nothing_to_import(document)
            raise ValidationError([FieldError("file", reason)], message=reason)
        ledger_id = actor.ledger_id
        run = Run(actor.as_client(MIGRATION_CLIENT), self.ledger, document)
        try:
            async with self.writing(actor) as session:
                await _refuse_unless_empty(HoldingsRepository(session, ledger_id=ledger_id))
                for step in STEPS:
                    on_step(step.name)
                    await step.write(run)
                on_step("checks")
                after = HoldingsRepository(session, ledger_id=ledger_id)
                checks = await reconcile(after, document)
                result = ImportResult(checks, run.warnings, run.created, dry_run)
                if not result.committed:
                    raise _RollBack(result)
        except _RollBack as rolled_back:
            return rolled_back.result
        return result


async def reconcile(holdings: HoldingsRepository, document: StatusDocument) -> list[Check]:
    """Every section's checks. An entry the readers missed still counts on the source
    side, so its check fails and names its line."""
    checks = [await check(holdings, document) for check in CHECKS]
    return [check for check in checks if check is not None]


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
