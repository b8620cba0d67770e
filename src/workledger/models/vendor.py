from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workledger.models.base import AuditMixin, Base, IdMixin, LedgerScopedMixin, enum_check

VENDOR_STATUSES = ("operational", "broken")
# The document formats an extractor may read, each stored in a column supports_<format>.
FORMATS = ("excel", "csv", "pdf", "ocr")
FORMAT_COLUMNS = tuple(f"supports_{name}" for name in FORMATS)


def format_columns(formats: Mapping[str, bool]) -> dict[str, bool]:
    """Format support by format name, as the columns that store it."""
    return {f"supports_{name}": bool(formats.get(name, False)) for name in FORMATS}


def stored_formats(row: Any) -> dict[str, bool]:
    """A vendor's (or a selected row's) format support, by format name."""
    return {name: bool(getattr(row, f"supports_{name}")) for name in FORMATS}


class Vendor(IdMixin, LedgerScopedMixin, AuditMixin, Base):
    """A vendor extractor and its health."""

    __tablename__ = "vendors"

    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="operational")
    supports_excel: Mapped[bool] = mapped_column(Boolean, default=False)
    supports_csv: Mapped[bool] = mapped_column(Boolean, default=False)
    supports_pdf: Mapped[bool] = mapped_column(Boolean, default=False)
    supports_ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    tests_passing: Mapped[int] = mapped_column(Integer, default=0)
    tests_total: Mapped[int] = mapped_column(Integer, default=0)
    tests_skipped: Mapped[int] = mapped_column(Integer, default=0)
    extractor_version: Mapped[str | None] = mapped_column(String(50))
    manifest_compliant: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("ledger_id", "name"),
        CheckConstraint(enum_check("status", VENDOR_STATUSES), name="status"),
        CheckConstraint(
            "tests_passing >= 0 AND tests_skipped >= 0 "
            "AND tests_passing + tests_skipped <= tests_total",
            name="test_results",
        ),
    )
