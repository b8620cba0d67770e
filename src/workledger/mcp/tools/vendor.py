"""Vendor extractor tools: register, look up health, list, update."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from workledger.mcp.call import call
from workledger.schemas.vendor import (
    ExtractorVersion,
    FormatSupport,
    TestResults,
    VendorCreate,
    VendorList,
    VendorName,
    VendorRead,
    VendorStatus,
    VendorUpdate,
)


async def create_vendor(
    name: VendorName,
    status: VendorStatus = VendorStatus.operational,
    test_results: TestResults | None = None,
    format_support: FormatSupport | None = None,
    extractor_version: ExtractorVersion | None = None,
    manifest_compliant: bool = False,
) -> VendorRead:
    """Register a vendor extractor (names are unique). Returns it with id and version 1."""
    now = call()
    data = VendorCreate.load({k: v for k, v in now.arguments.items() if v is not None})
    return await now.container.vendors.create(actor=now.actor, data=data)


async def query_vendor_status(
    name: VendorName | None = None, vendor_id: uuid.UUID | None = None
) -> VendorRead:
    """Health of one vendor, by name or vendor_id: status, test results (passing, total,
    skipped), format support, extractor version, manifest compliance and version."""
    now = call()
    return await now.container.vendors.get(actor=now.actor, vendor_id=vendor_id, name=name)


async def list_vendors(status: VendorStatus | None = None) -> VendorList:
    """Every vendor (optionally only operational or broken ones), by name, with the
    operational and broken counts."""
    now = call()
    return await now.container.vendors.list(actor=now.actor, status=status)


async def update_vendor_status(
    version: Annotated[int, Field(ge=1, description="the version you last read")],
    vendor_id: uuid.UUID | None = None,
    name: VendorName | None = None,
    status: VendorStatus | None = None,
    test_results: TestResults | None = None,
    format_support: FormatSupport | None = None,
    extractor_version: ExtractorVersion | None = None,
    manifest_compliant: bool | None = None,
) -> VendorRead:
    """Record a vendor's new health. Name it by vendor_id or name, pass the version you
    read and only the fields that changed (test_results and format_support are replaced
    whole). A version_conflict means someone updated it first: re-read and retry."""
    now = call()
    data = VendorUpdate.load(now.without("vendor_id", "name"))
    return await now.container.vendors.update(
        actor=now.actor, data=data, vendor_id=vendor_id, name=name
    )
