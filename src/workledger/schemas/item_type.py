"""The four item types, and the typed metadata each one keeps
(docs/reference/work-items.md, "Metadata by type")."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from pydantic import Field, StringConstraints, WithJsonSchema, field_validator

from workledger.errors import FieldError, ValidationError
from workledger.schemas.common import Count, Principles, Quarter, WireEnum
from workledger.schemas.strict import StrictModel, field_errors


class ItemType(WireEnum):
    project = "project"
    session = "session"
    task = "task"
    research = "research"


# --- typed metadata, one model per item type ---------------------------------------------


class _Metadata(StrictModel):
    """A metadata shape: every key may be left out, none sent as null (which would mean
    nothing: metadata keeps no nulls)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.not_nullable = frozenset(cls.model_fields)


class ProjectMetadata(_Metadata):
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    target_quarter: Quarter | None = None
    constitutional_principles: Principles | None = None


class SessionMetadata(_Metadata):
    token_budget: Annotated[int, Field(ge=1_000, le=1_000_000)] | None = None
    prompts_count: Count | None = None
    yaml_frontmatter: dict[str, object] | None = None

    @field_validator("yaml_frontmatter")
    @classmethod
    def _has_schema_version(cls, value: dict[str, object] | None) -> dict[str, object] | None:
        if value is not None and "schema_version" not in value:
            raise ValueError("must hold schema_version")
        return value


Hours = Annotated[float, Field(ge=0, le=1000)]


class TaskMetadata(_Metadata):
    estimated_hours: Hours | None = None
    actual_hours: Hours | None = None
    blocked_reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class ResearchMetadata(_Metadata):
    research_questions: list[str] | None = None
    findings_summary: Annotated[str, StringConstraints(max_length=2000)] | None = None
    references: list[str] | None = None


METADATA_MODELS: dict[ItemType, type[_Metadata]] = {
    ItemType.project: ProjectMetadata,
    ItemType.session: SessionMetadata,
    ItemType.task: TaskMetadata,
    ItemType.research: ResearchMetadata,
}


def _metadata_schema() -> dict[str, object]:
    """The four shapes, in item_type order; validation picks the one of the item's type."""
    shapes = []
    for model in METADATA_MODELS.values():
        properties = {}
        # No null branches: metadata takes no nulls (_Metadata).
        for name, schema in model.model_json_schema()["properties"].items():
            properties[name] = {k: v for k, v in schema.items() if k != "title"}
        shapes.append({"type": "object", "properties": properties, "additionalProperties": False})
    return {
        "description": "one shape per item_type: " + ", ".join(METADATA_MODELS),
        "anyOf": shapes,
    }


# A metadata object as sent: checked against its item type's model (validate_metadata).
Metadata = dict[str, object]
MetadataInput = Annotated[Metadata, WithJsonSchema(_metadata_schema())]


def validate_metadata(item_type: ItemType | str, raw: Metadata | None) -> Metadata:
    """Check ``metadata`` against the item type's model; errors name ``metadata.<key>``."""
    model = METADATA_MODELS[ItemType(item_type)]
    try:
        parsed = model.model_validate(raw or {})
    except (pydantic.ValidationError, ValidationError) as exc:
        found = field_errors(exc) if isinstance(exc, pydantic.ValidationError) else exc.errors
        errors = [
            FieldError(
                f"metadata.{e.field}" if e.field != "body" else "metadata",
                f"{e.message} (for item_type {ItemType(item_type).value})"
                if e.message == "unknown field"
                else e.message,
            )
            for e in found
        ]
        raise ValidationError(errors) from None
    return parsed.model_dump(exclude_none=True, mode="json")
