"""Importing a status file into an empty account, reconciled, all or nothing.

``service`` runs the import: one transaction, the sections in order, then the checks.
Each kind of record has its own module, which maps the file's entries to its service's
input and checks the result against the file's outline: ``vendor``, ``work_item``,
``session``, ``deployment``, ``enhancement``. A new kind is one more such module, listed
in ``service.STEPS`` and ``service.CHECKS``."""

from workledger.services.importer.result import Check, ImportResult
from workledger.services.importer.service import IMPORT_STEPS, MIGRATION_CLIENT, ImportService
from workledger.services.importer.session import (
    MAX_DESCRIPTION,
    SESSION_DEFAULT_STATUS,
    SESSION_STATUSES,
)

__all__ = [
    "IMPORT_STEPS",
    "MAX_DESCRIPTION",
    "MIGRATION_CLIENT",
    "SESSION_DEFAULT_STATUS",
    "SESSION_STATUSES",
    "Check",
    "ImportResult",
    "ImportService",
]
