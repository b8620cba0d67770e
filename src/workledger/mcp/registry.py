"""Every MCP tool of CONTRACT §5, with how it behaves (for the annotations)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workledger.mcp.tools import conflict, deployment, enhancement, project, vendor, work_item


@dataclass(frozen=True, slots=True)
class ToolSpec:
    fn: Callable[..., Awaitable[Any]]
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(work_item.create_work_item),
    ToolSpec(work_item.update_work_item, destructive=True),
    ToolSpec(work_item.query_work_item, read_only=True, idempotent=True),
    ToolSpec(work_item.list_work_items, read_only=True, idempotent=True),
    ToolSpec(work_item.claim_work_item),
    ToolSpec(deployment.record_deployment, idempotent=True),
    ToolSpec(deployment.list_deployments, read_only=True, idempotent=True),
    ToolSpec(vendor.create_vendor),
    ToolSpec(vendor.query_vendor_status, read_only=True, idempotent=True),
    ToolSpec(vendor.list_vendors, read_only=True, idempotent=True),
    ToolSpec(vendor.update_vendor_status),
    ToolSpec(project.get_project_configuration, read_only=True, idempotent=True),
    ToolSpec(project.update_project_configuration),
    ToolSpec(project.get_project_status, read_only=True, idempotent=True),
    ToolSpec(enhancement.create_enhancement),
    ToolSpec(enhancement.update_enhancement, destructive=False),
    ToolSpec(enhancement.list_enhancements, read_only=True, idempotent=True),
    ToolSpec(conflict.list_conflicts, read_only=True, idempotent=True),
)
