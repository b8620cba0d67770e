"""Vendor extractor tools: register, look up health, list, update."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.vendor import (
    UpdateVendorStatusArguments,
    VendorCreate,
    VendorList,
    VendorListQuery,
    VendorLookup,
    VendorRead,
)


async def create_vendor(vendor: VendorCreate, ctx: ToolContext) -> VendorRead:
    """Register a vendor extractor; names are unique."""
    now = await calling(ctx)
    return await now.services.vendors.create(actor=now.actor, data=vendor)


async def query_vendor_status(which: VendorLookup, ctx: ToolContext) -> VendorRead:
    """One vendor's health, by name or vendor_id."""
    now = await calling(ctx)
    return await now.services.vendors.get(
        actor=now.actor, vendor_id=which.vendor_id, name=which.name
    )


async def list_vendors(query: VendorListQuery, ctx: ToolContext) -> VendorList:
    """Every vendor (or those in status) by name, with the operational and broken
    counts."""
    now = await calling(ctx)
    return await now.services.vendors.list(actor=now.actor, status=query.status)


async def update_vendor_status(change: UpdateVendorStatusArguments, ctx: ToolContext) -> VendorRead:
    """Record a vendor's new health; name it by vendor_id or name."""
    now = await calling(ctx)
    return await now.services.vendors.update(
        actor=now.actor, data=change, vendor_id=change.vendor_id, name=change.name
    )
