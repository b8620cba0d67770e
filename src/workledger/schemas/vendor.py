from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, StringConstraints, model_validator

from workledger.schemas.common import (
    Count,
    ReadModel,
    Uuid,
    WireEnum,
    WithVersion,
    WithVersionOrIfMatch,
)
from workledger.schemas.strict import ChangeModel, QueryModel, StrictModel

VendorName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ExtractorVersion = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class VendorStatus(WireEnum):
    operational = "operational"
    broken = "broken"


class FormatSupport(StrictModel):
    excel: bool = False
    csv: bool = False
    pdf: bool = False
    ocr: bool = False


class TestResults(StrictModel):
    __test__ = False  # not a pytest class

    passing: Count = 0
    total: Count = 0
    skipped: Count = 0

    @model_validator(mode="after")
    def _consistent(self) -> TestResults:
        if self.passing + self.skipped > self.total:
            raise ValueError("passing + skipped must not exceed total")
        return self


class VendorCreate(StrictModel):
    name: VendorName
    status: VendorStatus = VendorStatus.operational
    test_results: TestResults = Field(default_factory=TestResults)
    format_support: FormatSupport = Field(default_factory=FormatSupport)
    extractor_version: ExtractorVersion | None = None
    manifest_compliant: bool = False


class VendorChanges(ChangeModel):
    name: VendorName | None = None
    status: VendorStatus | None = None
    test_results: TestResults | None = None
    format_support: FormatSupport | None = None
    extractor_version: ExtractorVersion | None = None
    manifest_compliant: bool | None = None

    not_nullable: ClassVar[frozenset[str]] = frozenset(
        {"name", "status", "test_results", "format_support", "manifest_compliant"}
    )


class VendorUpdate(VendorChanges, WithVersion):
    """The fields to change and the version they were made against."""


class VendorPatch(VendorChanges, WithVersionOrIfMatch):
    """The fields to change; ``version`` may come as If-Match instead."""


class VendorLookup(StrictModel):
    """One vendor, by its name or by its id."""

    name: VendorName | None = None
    vendor_id: Uuid | None = None


class UpdateVendorStatusArguments(VendorUpdate):
    """update_vendor_status's arguments: which vendor (by id or name), and its update."""

    vendor_id: Uuid | None = None
    name: VendorName | None = Field(default=None, description="the vendor, unless vendor_id")
    addressing: ClassVar[frozenset[str]] = VendorUpdate.addressing | {"vendor_id", "name"}


class VendorListQuery(QueryModel):
    status: VendorStatus | None = Field(default=None, description="only the vendors in it")


class VendorRead(ReadModel):
    id: uuid.UUID
    name: str
    status: VendorStatus
    test_results: TestResults
    format_support: FormatSupport
    extractor_version: str | None
    manifest_compliant: bool
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    created_by_account: str | None = None
    updated_by_account: str | None = None


class VendorList(BaseModel):
    vendors: list[VendorRead]
    operational_count: int
    broken_count: int
