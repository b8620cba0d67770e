"""One work item's page, and its form: only the fields the person changed are sent, made
against the version the page showed. A reader sees the form disabled; a change the
ledger refuses them (403) is said on the page, never an error page."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from workledger.container import Container
from workledger.errors import (
    Forbidden,
    NotFound,
    ValidationError,
    VersionConflict,
    WorkledgerError,
)
from workledger.http.deps import AppContainer
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor, Priority
from workledger.schemas.work_item import ItemStatus, WorkItemRead, WorkItemUpdate
from workledger.web.git_links import repository_links
from workledger.web.render import base_of, read_form, render
from workledger.web.session import PageActor

router = APIRouter(include_in_schema=False)
EDITABLE = ("status", "priority", "title", "assignee", "tags")


async def not_found(request: Request, ref: str) -> Response:
    return await render(request, "not_found.html", status_code=404, ref=ref, what="work item")


@router.get("/items/{ref}")
async def item_page(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    try:
        item = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
    except (NotFound, ValidationError):
        return await not_found(request, ref)
    return await _item(request, container, actor, item)


@router.post("/items/{ref}")
async def save_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Save the fields of the item's form, made against the version the page showed."""
    form = await read_form(request)
    base = base_of(request)
    # Only what the person changed: the form also carries the values it showed.
    sent = {
        name: form[name]
        for name in EDITABLE
        if name in form and form[name] != form.get(f"shown_{name}")
    }
    if not sent:
        return RedirectResponse(f"{base}/items/{ref}", status_code=303)
    change: dict[str, object] = dict(sent)
    if "assignee" in sent:
        change["assignee"] = sent["assignee"].strip() or None
    if "tags" in sent:
        change["tags"] = [t.strip() for t in sent["tags"].split(",") if t.strip()]

    async def again(
        status_code: int, *, conflict: bool = False, errors: Sequence[object] = ()
    ) -> Response:
        try:
            current = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
        except (NotFound, ValidationError):
            return await not_found(request, ref)
        return await _item(
            request,
            container,
            actor,
            current,
            status_code=status_code,
            sent=sent,
            conflict=conflict,
            errors=errors,
        )

    try:
        data = WorkItemUpdate.load({"version": form.get("version"), **change}, text=True)
        item = await container.work_items.update(actor=actor, item_id=ref, data=data)
    except VersionConflict:
        return await again(409, conflict=True)
    except NotFound:
        return await not_found(request, ref)
    except Forbidden as exc:
        return await again(403, errors=[exc])
    except WorkledgerError as exc:
        return await again(422, errors=getattr(exc, "errors", None) or [exc])
    return RedirectResponse(f"{base}/items/{short_id(item.id)}?saved=1", status_code=303)


async def _item(
    request: Request,
    container: Container,
    actor: Actor,
    item: WorkItemRead,
    *,
    status_code: int = 200,
    sent: dict[str, str] | None = None,
    conflict: bool = False,
    errors: Sequence[object] | None = None,
) -> Response:
    linked = await container.work_items.dependencies(actor=actor, item=item)
    dependencies = [(edge, linked.get(edge.depends_on_id)) for edge in item.dependencies]
    shown = _form_values(item)
    return await render(
        request,
        "item.html",
        status_code=status_code,
        item=item,
        dependencies=dependencies,
        links=await repository_links(container.settings.repo_dir),
        form=shown | (sent or {}),
        shown=shown,
        sent=sent or {},
        conflict=conflict,
        errors=errors or [],
        saved=request.query_params.get("saved") == "1" and sent is None,
        may_change=actor.may("member"),
        statuses=list(ItemStatus),
        priorities=list(Priority),
    )


def _form_values(item: WorkItemRead) -> dict[str, str]:
    return {
        "status": item.status.value,
        "priority": item.priority.value,
        "title": item.title,
        "assignee": item.assignee or "",
        "tags": ", ".join(item.tags),
    }
