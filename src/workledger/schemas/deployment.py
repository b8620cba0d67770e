from __future__ import annotations

import uuid
from collections.abc import Hashable
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from workledger.errors import ValidationError
from workledger.schemas.common import (
    UNIQUE_ITEMS,
    CommitHash,
    Count,
    Cursor,
    IsoDateTime,
    PageLimit,
    PrNumber,
    ReadModel,
    Title,
    Uuid,
)
from workledger.schemas.strict import QueryModel, StrictModel
from workledger.schemas.vendor import VendorName, VendorStatus
from workledger.schemas.work_item import ItemStatus, WorkItemRef

TestName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LinkList = Annotated[list[Uuid], Field(max_length=200, json_schema_extra=UNIQUE_ITEMS)]
VendorNames = Annotated[list[VendorName], Field(max_length=200, json_schema_extra=UNIQUE_ITEMS)]
WorkItemRefs = Annotated[list[WorkItemRef], Field(max_length=200, json_schema_extra=UNIQUE_ITEMS)]


class DeploymentCreate(StrictModel):
    pr_number: PrNumber
    pr_title: Title
    commit_hash: CommitHash
    deployed_at: IsoDateTime | None = Field(default=None, description="default: now")
    test_summary: dict[TestName, Count] = Field(default_factory=dict)
    constitutional_compliance: bool = False
    vendor_ids: LinkList = Field(default_factory=list)
    vendor_names: VendorNames = Field(default_factory=list)
    work_item_ids: WorkItemRefs = Field(default_factory=list)

    @field_validator("vendor_ids", "vendor_names", "work_item_ids")
    @classmethod
    def _no_duplicates(cls, values: list[Hashable]) -> list[Hashable]:
        if len(values) != len(set(values)):
            raise ValueError("lists the same entry twice")
        return values

    @field_validator("deployed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2026-05-01T12:00:00Z")
        return value

    @model_validator(mode="after")
    def _one_way_to_name_vendors(self) -> DeploymentCreate:
        if self.vendor_ids and self.vendor_names:
            raise ValidationError.single(
                "vendor_names", "give vendor_ids or vendor_names, not both"
            )
        return self


class DeploymentListQuery(QueryModel):
    vendor_id: Uuid | None = None
    work_item_id: WorkItemRef | None = None
    since: IsoDateTime | None = None
    until: IsoDateTime | None = None
    limit: PageLimit = 20
    cursor: Cursor | None = None


class AffectedVendor(ReadModel):
    id: uuid.UUID
    name: str
    status: VendorStatus


class RelatedWorkItem(ReadModel):
    id: uuid.UUID
    title: str
    status: ItemStatus


class DeploymentRead(BaseModel):
    id: uuid.UUID
    deployed_at: datetime
    pr_number: int
    pr_title: str
    commit_hash: str
    test_summary: dict[str, int]
    constitutional_compliance: bool
    vendor_ids: list[uuid.UUID]
    work_item_ids: list[uuid.UUID]
    affected_vendors: list[AffectedVendor]
    related_work_items: list[RelatedWorkItem]
    version: int
    created_at: datetime
    created_by: str
    created_by_account: str | None = None
    created: bool = Field(
        default=False, description="false when this PR and commit were already recorded"
    )
