"""GET /api/v1/status: the status report, as markdown or as JSON by ``Accept``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from workledger.api.deps import CurrentActor
from workledger.api.openapi import errors
from workledger.http.deps import AppContainer
from workledger.schemas.status import StatusReport

router = APIRouter(prefix="/status", tags=["status"])
MARKDOWN = "text/markdown"
JSON = "application/json"


@router.get(
    "",
    response_model=StatusReport,
    responses={
        200: {
            "description": "The report: markdown by default, "
            "`{markdown, generated_at, counts}` with `Accept: application/json`.",
            "content": {MARKDOWN: {"schema": {"type": "string"}}},
        },
        **errors(),
    },
)
async def get_status(
    container: AppContainer,
    actor: CurrentActor,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The ``.project_status.md`` report of the account."""
    report = await container.status.report(actor=actor)
    headers = {"Vary": "Accept"}
    if _prefers_json(accept or ""):
        return JSONResponse(report.model_dump(mode="json"), headers=headers)
    return Response(report.markdown, media_type=f"{MARKDOWN}; charset=utf-8", headers=headers)


def _prefers_json(accept: str) -> bool:
    """Whether ``Accept`` ranks JSON above markdown; ties, wildcards and junk get markdown."""
    weights = {MARKDOWN: 0.0, JSON: 0.0}
    for entry in accept.split(","):
        media, *params = (part.strip() for part in entry.split(";"))
        if media.lower() not in weights:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weights[media.lower()], weight)
    return weights[JSON] > weights[MARKDOWN]
