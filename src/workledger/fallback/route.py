"""Which layer a unit of work goes to: the database, or, while it is away, a fallback
layer (docs/reference/outage.md). The unit of work asks before it tries the database, and
again when the database could not be reached; the outage state (outage.py) decides."""

from __future__ import annotations

from typing import Literal

from workledger.errors import StorageUnreachable
from workledger.fallback.outage import FallbackLayer, Outage

# ``auto``: the database, or a fallback layer for a read while degraded (and when the
# database cannot be reached); ``database`` and ``mirror`` choose.
Route = Literal["auto", "database", "mirror"]

UNREACHABLE = "the database is unavailable; retry shortly"


async def layer_before(outage: Outage, *, write: bool, route: Route) -> FallbackLayer | None:
    """The layer that answers in the database's place, chosen before the database is tried
    (None: try it). A write the outage refuses is StorageUnreachable, without trying."""
    if write and route == "auto" and outage.refuses_writes:
        raise StorageUnreachable(UNREACHABLE)
    if route == "mirror":
        return outage.mirror_layer()
    if route == "auto" and not write and outage.degraded:
        return await outage.read_layer()
    return None


async def layer_after(
    outage: Outage, cause: BaseException, *, write: bool, route: Route
) -> FallbackLayer:
    """The database could not be reached (``cause``, before anything was sent to it): the
    layer that answers a read instead. StorageUnreachable when none can, or for a write."""
    outage.went_away(cause)
    layer = await outage.read_layer() if not write and route == "auto" else None
    if layer is None:
        raise StorageUnreachable(UNREACHABLE) from cause
    return layer
