from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class StatusCounts(BaseModel):
    work_items: int
    work_items_active: int
    work_items_blocked: int
    work_items_completed: int
    vendors: int
    vendors_operational: int
    vendors_broken: int
    deployments: int
    enhancements_pending: int
    session_prompts: int


class StatusReport(BaseModel):
    """The project status report: markdown, when it was made, and its headline counts."""

    markdown: str
    generated_at: datetime
    counts: StatusCounts
