"""What an item's page sends: its fields, its claim, its comments. A change is made
against the version the page showed; a refusal shows the page again, saying why beside
what was refused and keeping what the person typed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from workledger.container import Container
from workledger.errors import (
    FieldError,
    Forbidden,
    NotFound,
    ValidationError,
    VersionConflict,
    WorkledgerError,
)
from workledger.http.deps import AppContainer
from workledger.models.work_item import short_id
from workledger.schemas.common import Actor
from workledger.schemas.history import CommentCreate
from workledger.schemas.work_item import WorkItemUpdate
from workledger.web.item import EDITABLE, not_found, refused_status, show_item
from workledger.web.render import FOLLOWS_FEED, base_of, read_form
from workledger.web.session import PageActor

router = APIRouter(include_in_schema=False, dependencies=[FOLLOWS_FEED])


@router.post("/items/{ref}")
async def save_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Save the fields of the item's form, made against the version the page showed."""
    form = await read_form(request)
    base = base_of(request)
    # Only what the person changed: the form also carries the values it showed. (A
    # textarea sends its line ends as CRLF.)
    typed = {name: form[name].replace("\r\n", "\n") for name in EDITABLE if name in form}
    sent = {name: text for name, text in typed.items() if text != form.get(f"shown_{name}")}
    if not sent:
        return RedirectResponse(f"{base}/items/{ref}", status_code=303)
    change = _update_of(sent)

    async def again(
        status_code: int, *, conflict: bool = False, errors: Sequence[object] = ()
    ) -> Response:
        try:
            current = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
        except (NotFound, ValidationError):
            return await not_found(request, ref)
        return await show_item(
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


@router.post("/items/{ref}/delete")
async def delete_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Delete the item as the page showed it; with "cascade", what is below it too."""
    form = await read_form(request)
    try:
        data = WorkItemUpdate.load(
            {"version": form.get("version"), "deleted": True, "cascade": "cascade" in form},
            text=True,
        )
        item = await container.work_items.update(actor=actor, item_id=ref, data=data)
    except WorkledgerError as exc:
        return await _deletion_refused(request, container, actor, ref, exc)
    return RedirectResponse(f"{base_of(request)}/items/{short_id(item.id)}", status_code=303)


@router.post("/items/{ref}/restore")
async def restore_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Bring the item back, with what was deleted along with it."""
    try:
        item = await container.work_items.restore(actor=actor, item_id=ref)
    except WorkledgerError as exc:
        return await _deletion_refused(request, container, actor, ref, exc)
    return RedirectResponse(f"{base_of(request)}/items/{short_id(item.id)}", status_code=303)


async def _deletion_refused(
    request: Request, container: Container, actor: Actor, ref: str, exc: WorkledgerError
) -> Response:
    """The item's page again, saying beside its Delete (or Restore) button why not."""
    said = str(exc)
    if isinstance(exc, VersionConflict):
        said = "The item was changed after the page showed it: nothing was deleted."
    return await _again(request, container, actor, ref, exc, delete_error=said)


@router.post("/items/{ref}/claim")
async def claim_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Take the item for the person signed in (through the web), or renew their lease."""
    try:
        item = await container.work_items.claim(actor=actor, item_id=ref)
    except WorkledgerError as exc:
        return await _claim_refused(request, container, actor, ref, exc)
    return RedirectResponse(f"{base_of(request)}/items/{short_id(item.id)}#claim", status_code=303)


@router.post("/items/{ref}/release")
async def release_item(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Drop the claim: the person's own, or anyone's for an owner of the ledger."""
    try:
        item = await container.work_items.release(actor=actor, item_id=ref)
    except WorkledgerError as exc:
        return await _claim_refused(request, container, actor, ref, exc)
    return RedirectResponse(f"{base_of(request)}/items/{short_id(item.id)}#claim", status_code=303)


@router.get("/items/{ref}/claim")
@router.get("/items/{ref}/release")
async def claim_page(request: Request, ref: str) -> Response:
    """The address a refused claim or release left in the browser: the item's claim."""
    return RedirectResponse(f"{base_of(request)}/items/{ref}#claim", status_code=303)


@router.get("/items/{ref}/delete")
@router.get("/items/{ref}/restore")
async def deletion_page(request: Request, ref: str) -> Response:
    """The address a refused delete or restore left in the browser: the item."""
    return RedirectResponse(f"{base_of(request)}/items/{ref}", status_code=303)


async def _claim_refused(
    request: Request, container: Container, actor: Actor, ref: str, exc: WorkledgerError
) -> Response:
    """The item's page again, saying beside its claim why it was refused."""
    return await _again(request, container, actor, ref, exc, claim_error=str(exc))


@router.get("/items/{ref}/comments")
async def comments_page(request: Request, ref: str) -> Response:
    """The address a refused comment left in the browser: the item's comments."""
    return RedirectResponse(f"{base_of(request)}/items/{ref}#comments", status_code=303)


@router.post("/items/{ref}/comments")
async def add_comment(
    request: Request, container: AppContainer, actor: PageActor, ref: str
) -> Response:
    """Add the comment typed in the form; refused, the page again with why, and the text
    kept."""
    form = await read_form(request)
    body = form.get("body", "").replace("\r\n", "\n")  # a textarea sends CRLF
    try:
        data = CommentCreate.load({"body": body})
        comment = await container.comments.add(actor=actor, work_item_id=ref, body=data.body)
    except WorkledgerError as exc:
        return await _refused(request, container, actor, ref, exc, comment=body)
    base = base_of(request)
    return RedirectResponse(
        f"{base}/items/{short_id(comment.work_item_id)}#comment-{comment.id}", status_code=303
    )


@router.post("/items/{ref}/comments/{comment_id}/delete")
async def delete_comment(
    request: Request, container: AppContainer, actor: PageActor, ref: str, comment_id: str
) -> Response:
    """Delete a comment, as it was when the page showed it (its author, or an owner)."""
    form = await read_form(request)
    version = form.get("version", "")
    try:
        try:
            found = uuid.UUID(comment_id)
        except ValueError:
            raise NotFound("comment", comment_id) from None
        await container.comments.delete(
            actor=actor, comment_id=found, version=int(version) if version.isdigit() else None
        )
    except WorkledgerError as exc:
        return await _refused(request, container, actor, ref, exc)
    return RedirectResponse(f"{base_of(request)}/items/{ref}#comments", status_code=303)


async def _refused(
    request: Request,
    container: Container,
    actor: Actor,
    ref: str,
    exc: WorkledgerError,
    *,
    comment: str = "",
) -> Response:
    """The item's page again, saying beside its comments why a comment was refused."""
    if isinstance(exc, ValidationError):
        said = [_field_error(e) for e in exc.errors]
    elif isinstance(exc, VersionConflict):
        said = ["The comment was changed after the page showed it: nothing was deleted."]
    elif isinstance(exc, NotFound) and exc.details.get("resource") == "work item":
        said = ["A deleted item takes no comments."]
    else:
        said = [str(exc)]
    return await _again(request, container, actor, ref, exc, comment=comment, comment_errors=said)


async def _again(
    request: Request,
    container: Container,
    actor: Actor,
    ref: str,
    exc: WorkledgerError,
    **said: Any,
) -> Response:
    """The item's page again as it is now, answering ``exc``'s status, with ``said``
    beside the form that was refused (404 when the item itself is gone)."""
    try:
        item = await container.work_items.get(actor=actor, item_id=ref, include_deleted=True)
    except (NotFound, ValidationError):
        return await not_found(request, ref)
    return await show_item(request, container, actor, item, status_code=refused_status(exc), **said)


def _field_error(error: FieldError) -> str:
    name = "Comment" if error.field == "body" else error.field
    return f"{name}: {error.message}"


def _update_of(sent: dict[str, str]) -> dict[str, object]:
    """The change the form's changed fields ask for, as an update takes it: lists from
    commas, an emptied field cleared."""
    change: dict[str, object] = {}
    for name, text in sent.items():
        if name == "tags":
            change["tags"] = [tag.strip() for tag in text.split(",") if tag.strip()]
        elif name == "dependencies":
            change["dependencies"] = [_dependency(part) for part in text.split(",") if part.strip()]
        elif name == "parent":
            change["parent_id"] = text.strip() or None
        elif name in ("assignee", "due_date", "description"):
            change[name] = (text if name == "description" else text.strip()) or None
        else:
            change[name] = text
    return change


def _dependency(text: str) -> dict[str, str]:
    """``c3a90f6e`` or ``c3a90f6e (blocks)``, as the form shows a dependency."""
    target, blocks, _ = text.strip().partition(" (blocks)")
    return {
        "depends_on_id": target.strip(),
        "dependency_type": "blocks" if blocks else "depends_on",
    }
