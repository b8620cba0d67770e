"""Journaled writes that were refused on replay."""

from __future__ import annotations

from workledger.mcp.context import ToolContext, calling
from workledger.schemas.common import Page
from workledger.schemas.conflict import ConflictListQuery, ConflictRead


async def list_conflicts(query: ConflictListQuery, ctx: ToolContext) -> Page[ConflictRead]:
    """Writes made while the database was away that replay refused: re-read each record
    and redo what still matters."""
    now = await calling(ctx)
    return await now.services.conflicts.list(actor=now.actor, query=query)
