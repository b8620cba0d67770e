"""What an import reports: its reconciliation checks, its warnings and what it created."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass, field

from workledger.repositories.holdings import HoldingsRepository
from workledger.status_file.document import ParseWarning, StatusDocument


@dataclass(frozen=True)
class Check:
    """One reconciliation check: what the file's outline holds (``document.census``,
    counted apart from the entry readers) against what the database now holds."""

    name: str
    source: int
    database: int
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.source == self.database and not self.problems


# A check of one section, run once every record is written; None: nothing to check.
Reconcile = Callable[[HoldingsRepository, StatusDocument], Awaitable[Check | None]]


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


def unread(lines: list[int], read: Container[int], what: str) -> list[str]:
    """A problem for each entry the outline counts at a line no reader read."""
    return [f"line {line}: {what}" for line in lines if line not in read]
