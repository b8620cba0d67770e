"""Importing a status file into an empty account, reconciled, all or nothing.

``service`` runs the import: one transaction, the sections in order, then the checks.
Each kind of record has its own module, which maps the file's entries to its service's
input and checks the result against the file's outline: ``vendor``, ``work_item``,
``session``, ``deployment``, ``enhancement``. A new kind is one more such module, listed
in ``service.STEPS`` and ``service.CHECKS``."""

from workledger.services.importer.result import ImportResult
from workledger.services.importer.service import IMPORT_STEPS, ImportService

__all__ = ["IMPORT_STEPS", "ImportResult", "ImportService"]
