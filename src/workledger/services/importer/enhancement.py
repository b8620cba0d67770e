"""Enhancements: the roadmap's entries, each created as the door would, then counted."""

from __future__ import annotations

from workledger.repositories.holdings import HoldingsRepository
from workledger.schemas.enhancement import EnhancementCreate
from workledger.services.importer.result import Check, unread
from workledger.services.importer.run import Entry, Run
from workledger.status_file.document import StatusDocument


async def write_enhancements(run: Run) -> None:
    entries = [
        Entry(
            enhancement.line,
            {
                "title": enhancement.title,
                "priority": enhancement.priority,
                "status": enhancement.status,
                "target_quarter": enhancement.target_quarter,
                "description": enhancement.description,
            },
        )
        for enhancement in run.document.enhancements
    ]
    service = run.ledger.enhancements
    await run.write("enhancements", EnhancementCreate, entries, service.create_many)


async def check_enhancement_count(holdings: HoldingsRepository, document: StatusDocument) -> Check:
    read = {enhancement.line for enhancement in document.enhancements}
    return Check(
        "enhancement count",
        len(document.census.enhancements),
        await holdings.enhancement_count(),
        unread(document.census.enhancements, read, "not read as an enhancement"),
    )
