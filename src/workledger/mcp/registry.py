"""Every MCP tool of docs/reference/mcp.md, with how it behaves (for the annotations) and
which of its arguments its description explains."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workledger.errors import SettingsError
from workledger.mcp.tools import (
    conflict,
    deployment,
    enhancement,
    history,
    project,
    vendor,
    work_item,
)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    fn: Callable[..., Awaitable[Any]]
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    # Arguments the tool's description explains: their schema's descriptions are left out
    # of its input schema rather than said twice to a model.
    explains: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.fn.__name__


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(work_item.create_work_item),
    ToolSpec(work_item.update_work_item, destructive=True, explains=("deleted", "cascade")),
    ToolSpec(
        work_item.query_work_item,
        read_only=True,
        idempotent=True,
        explains=("include_hierarchy", "max_depth"),
    ),
    ToolSpec(
        work_item.list_work_items,
        read_only=True,
        idempotent=True,
        explains=("ready", "sort", "order"),
    ),
    ToolSpec(work_item.claim_work_item, explains=("lease_seconds",)),
    ToolSpec(work_item.claim_next_work_item, explains=("parent_id", "lease_seconds")),
    ToolSpec(work_item.release_work_item, idempotent=True),
    ToolSpec(work_item.log_work, explains=("cost_usd",)),
    ToolSpec(history.get_work_item_history, read_only=True, idempotent=True),
    ToolSpec(history.add_comment, explains=("body",)),
    ToolSpec(history.list_comments, read_only=True, idempotent=True),
    ToolSpec(history.get_changes, read_only=True, idempotent=True, explains=("after",)),
    ToolSpec(deployment.record_deployment, idempotent=True),
    ToolSpec(deployment.list_deployments, read_only=True, idempotent=True),
    ToolSpec(vendor.create_vendor),
    ToolSpec(vendor.query_vendor_status, read_only=True, idempotent=True),
    ToolSpec(vendor.list_vendors, read_only=True, idempotent=True, explains=("status",)),
    ToolSpec(vendor.update_vendor_status, explains=("name",)),
    ToolSpec(project.get_project_configuration, read_only=True, idempotent=True),
    ToolSpec(project.update_project_configuration),
    ToolSpec(project.get_project_status, read_only=True, idempotent=True),
    ToolSpec(enhancement.create_enhancement),
    ToolSpec(enhancement.update_enhancement, destructive=False),
    ToolSpec(enhancement.list_enhancements, read_only=True, idempotent=True),
    ToolSpec(conflict.list_conflicts, read_only=True, idempotent=True),
)
# WORKLEDGER_TOOLS=core: what an agent working through its tasks needs.
CORE = frozenset(
    {
        "get_project_status",
        "create_work_item",
        "update_work_item",
        "query_work_item",
        "list_work_items",
        "claim_work_item",
        "claim_next_work_item",
        "release_work_item",
    }
)
SETS = ("all", "core", "read-only")


def offered(selection: str) -> tuple[ToolSpec, ...]:
    """The tools WORKLEDGER_TOOLS names: ``all``, ``core``, ``read-only``, or a
    comma-separated list of tool names."""
    choice = selection.strip().lower()
    if choice == "all":
        return TOOLS
    if choice == "core":
        return tuple(spec for spec in TOOLS if spec.name in CORE)
    if choice == "read-only":
        return tuple(spec for spec in TOOLS if spec.read_only)
    names = {name.strip() for name in selection.split(",") if name.strip()}
    unknown = sorted(names - {spec.name for spec in TOOLS})
    if unknown or not names:
        raise SettingsError(
            f"WORKLEDGER_TOOLS: no tool {', '.join(unknown) or 'named'}; use "
            f"{', '.join(SETS)}, or tool names separated by commas"
        )
    return tuple(spec for spec in TOOLS if spec.name in names)
