"""A work item's history and its comments over REST (docs/reference/rest.md), on SQLite
and PostgreSQL: what each change records and who made it, paging, the precondition of a
comment's edit, who may comment, edit and delete, and that another ledger's items and
comments answer exactly like missing ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.checks import assert_answers_like_a_random_id, fields, problem
from tests.api.conftest import signup_and_login

ITEMS = "/api/v1/work-items"
COMMENTS = "/api/v1/comments"
TEAM = "/api/v1/ledgers/team"
Headers = dict[str, str]
ALICE = {"client": "claude-code", "account": "alice@example.com"}


def if_match(version: int) -> Headers:
    return {"If-Match": f'"{version}"'}


async def create(api: httpx.AsyncClient, headers: Headers, base: str = "/api/v1") -> str:
    """A new task: the path of its record."""
    made = await api.post(
        f"{base}/work-items", json={"item_type": "task", "title": "a task"}, headers=headers
    )
    assert made.status_code == 201, made.text
    return str(made.headers["Location"])


async def comment(api: httpx.AsyncClient, headers: Headers, item: str, body: str) -> str:
    """A new comment on ``item``: its path."""
    made = await api.post(f"{item}/comments", json={"body": body}, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.headers["Location"])


async def history(api: httpx.AsyncClient, headers: Headers, item: str, **query: Any) -> Any:
    answer = await api.get(f"{item}/history", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def listed(api: httpx.AsyncClient, headers: Headers, item: str) -> list[str]:
    answer = await api.get(f"{item}/comments", headers=headers)
    assert answer.status_code == 200, answer.text
    return [c["body"] for c in answer.json()["items"]]


@dataclass(frozen=True)
class Team:
    """``team``: owned by ada, bea and dee members, cy a reader; eve belongs elsewhere."""

    ada: Headers
    bea: Headers
    cy: Headers
    dee: Headers
    eve: Headers


@pytest.fixture
async def team(api: httpx.AsyncClient) -> Team:
    people = {
        name: await signup_and_login(api, f"{name}@example.com")
        for name in ("ada", "bea", "cy", "dee", "eve")
    }
    made = await api.post("/api/v1/ledgers", json={"slug": "team"}, headers=people["ada"])
    assert made.status_code == 201, made.text
    for name, role in (("bea", "member"), ("cy", "reader"), ("dee", "member")):
        added = await api.put(
            f"{TEAM}/members/{name}@example.com", json={"role": role}, headers=people["ada"]
        )
        assert added.status_code == 200, added.text
    return Team(**people)


# --- history --------------------------------------------------------------------------------


async def test_history_tells_every_change_of_an_item_and_who_made_it(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    for answer in (
        await api.patch(item, json={"title": "renamed", "version": 1}, headers=alice),
        await api.post(f"{item}/claim", headers={**alice, **if_match(2)}),
        await api.delete(item, headers={**alice, **if_match(3)}),
        await api.post(f"{item}/restore", headers=alice),
        await api.post(f"{item}/comments", json={"body": "looks *good*"}, headers=alice),
    ):
        assert answer.status_code in (200, 201), answer.text
    events = (await history(api, alice, item))["items"]

    assert [e["action"] for e in events] == [
        "create",
        "update",
        "claim",
        "delete",
        "restore",
        "comment",
    ]
    assert [e["version"] for e in events] == [1, 2, 3, 4, 5, 5]  # a comment changes no field
    assert all(e["actor"] == ALICE for e in events)
    assert {e["record_id"] for e in events} == {item.rsplit("/", 1)[1]}
    assert {e["record_type"] for e in events} == {"work_item"}
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    created, updated, claimed, deleted, restored, commented = (e["changes"] for e in events)
    assert created["title"] == [None, "a task"]
    assert created["item_type"] == [None, "task"]
    assert updated == {"title": ["a task", "renamed"]}
    assert claimed["assignee"] == [None, "claude-code"]
    [(old, deleted_at)] = deleted.values()
    assert old is None
    assert deleted_at is not None
    assert restored == {"deleted_at": [deleted_at, None]}
    assert commented["comment"][0] is None
    assert commented["comment"][1]["body"] == "looks *good*"


async def test_history_takes_a_short_id_and_keeps_a_deleted_items_events(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    deleted = await api.delete(item, headers={**alice, **if_match(1)})
    assert deleted.status_code == 200, deleted.text
    short = item.rsplit("/", 1)[1][-8:]
    page = await history(api, alice, f"{ITEMS}/{short}")
    assert [e["action"] for e in page["items"]] == ["create", "delete"]
    assert (page["total_count"], page["has_more"], page["next_cursor"]) == (2, False, None)


async def test_after_version_gives_only_what_came_after_it(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    for version, title in enumerate(("two", "three", "four"), start=1):
        changed = await api.patch(
            item, json={"title": title}, headers={**alice, **if_match(version)}
        )
        assert changed.status_code == 200, changed.text
    later = await history(api, alice, item, after_version=2)
    assert [(e["version"], e["changes"]) for e in later["items"]] == [
        (3, {"title": ["two", "three"]}),
        (4, {"title": ["three", "four"]}),
    ]
    assert (await history(api, alice, item, after_version=4))["items"] == []


async def test_history_pages_by_cursor_with_no_gap_and_no_repeat(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    for version in range(1, 7):
        changed = await api.patch(
            item, json={"title": f"v{version + 1}"}, headers={**alice, **if_match(version)}
        )
        assert changed.status_code == 200, changed.text
    everything = (await history(api, alice, item))["items"]
    walked: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 3}
    while True:
        page = await history(api, alice, item, **query)
        assert page["total_count"] == 7
        walked += page["items"]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        query["cursor"] = page["next_cursor"]
    assert walked == everything
    assert [e["version"] for e in walked] == list(range(1, 8))


async def test_history_of_a_missing_item_or_another_ledgers_is_not_found(
    api: httpx.AsyncClient, alice: Headers, bob: Headers
) -> None:
    problem(await api.get(f"{ITEMS}/{uuid.uuid4()}/history", headers=alice), 404, "not_found")
    theirs = (await create(api, bob)).rsplit("/", 1)[1]
    await assert_answers_like_a_random_id(
        api,
        alice,
        lambda id_: [
            ("GET", f"{ITEMS}/{id_}/history", {}),
            ("GET", f"{ITEMS}/{id_}/comments", {}),
            ("POST", f"{ITEMS}/{id_}/comments", {"json": {"body": "hi"}}),
        ],
        theirs,
    )
    assert (await history(api, bob, f"{ITEMS}/{theirs}"))["total_count"] == 1  # nothing added


async def test_a_bad_query_is_a_validation_error_naming_it(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    for query, name in (
        ({"after_version": -1}, "after_version"),
        ({"limit": 0}, "limit"),
        ({"cursor": "made-up"}, "cursor"),
        ({"after": 3}, "after"),
    ):
        answer = await api.get(f"{item}/history", params=query, headers=alice)
        assert fields(problem(answer, 422, "validation_error")) == [name], query


# --- comments -------------------------------------------------------------------------------


async def test_a_comment_is_made_listed_edited_and_deleted(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    made = await api.post(f"{item}/comments", json={"body": "first"}, headers=alice)
    assert made.status_code == 201, made.text
    first = made.json()
    assert made.headers["Location"] == f"{COMMENTS}/{first['id']}"
    assert made.headers["ETag"] == '"1"'
    assert first["work_item_id"] == item.rsplit("/", 1)[1]
    assert (first["body"], first["version"]) == ("first", 1)
    assert (first["author"], first["author_account"]) == ("claude-code", "alice@example.com")
    await comment(api, alice, item, "second")

    page = await api.get(f"{item}/comments", headers=alice)
    assert page.status_code == 200, page.text
    assert [c["body"] for c in page.json()["items"]] == ["first", "second"]
    assert (page.json()["total_count"], page.json()["has_more"]) == (2, False)

    edited = await api.patch(
        made.headers["Location"], json={"body": "first, edited"}, headers={**alice, **if_match(1)}
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert (edited.json()["body"], edited.json()["version"]) == ("first, edited", 2)
    assert edited.json()["created_at"] == first["created_at"]

    removed = await api.delete(made.headers["Location"], headers=alice)
    assert removed.status_code == 204, removed.text
    assert removed.content == b""
    assert await listed(api, alice, item) == ["second"]
    problem(await api.delete(made.headers["Location"], headers=alice), 404, "not_found")

    events = (await history(api, alice, item))["items"]
    said = [(e["action"], e["changes"]["comment"]) for e in events[1:]]
    one = {"id": first["id"], "body": "first"}
    assert said[0] == ("comment", [None, one])
    assert said[2] == ("comment_edited", [one, {**one, "body": "first, edited"}])
    assert said[3] == ("comment_deleted", [{**one, "body": "first, edited"}, None])


async def test_comments_page_by_cursor_oldest_first(api: httpx.AsyncClient, alice: Headers) -> None:
    item = await create(api, alice)
    for n in range(5):
        await comment(api, alice, item, f"c{n}")
    bodies: list[str] = []
    query: dict[str, Any] = {"limit": 2}
    while True:
        answer = await api.get(f"{item}/comments", params=query, headers=alice)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["total_count"] == 5
        bodies += [c["body"] for c in page["items"]]
        if not page["has_more"]:
            break
        query["cursor"] = page["next_cursor"]
    assert bodies == [f"c{n}" for n in range(5)]


@pytest.mark.parametrize("body", ["", "   \n\t", "x" * 20_001], ids=["empty", "blank", "long"])
async def test_a_comment_needs_a_body_of_1_to_20000_characters(
    api: httpx.AsyncClient, alice: Headers, body: str
) -> None:
    item = await create(api, alice)
    refused = await api.post(f"{item}/comments", json={"body": body}, headers=alice)
    assert fields(problem(refused, 422, "validation_error")) == ["body"]
    assert await listed(api, alice, item) == []
    assert [e["action"] for e in (await history(api, alice, item))["items"]] == ["create"]

    kept = await comment(api, alice, item, "kept")
    edit = await api.patch(kept, json={"body": body}, headers={**alice, **if_match(1)})
    assert fields(problem(edit, 422, "validation_error")) == ["body"]
    assert await listed(api, alice, item) == ["kept"]


async def test_a_comment_of_exactly_20000_characters_is_kept(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    await comment(api, alice, item, "y" * 20_000)
    assert await listed(api, alice, item) == ["y" * 20_000]


async def test_changing_a_comment_needs_a_precondition(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    made = await comment(api, alice, item, "one")
    fresh = await api.patch(made, json={"body": "two", "version": 1}, headers=alice)
    assert fresh.status_code == 200, fresh.text

    unconditional = await api.patch(made, json={"body": "three"}, headers=alice)
    problem(unconditional, 428, "precondition_required")
    stale_header = await api.patch(made, json={"body": "three"}, headers={**alice, **if_match(1)})
    assert problem(stale_header, 412, "version_conflict")["current_version"] == 2
    stale_body = await api.patch(made, json={"body": "three", "version": 1}, headers=alice)
    assert problem(stale_body, 409, "version_conflict")["current_version"] == 2
    assert await listed(api, alice, item) == ["two"]


async def test_deleting_a_comment_honours_if_match_when_sent(
    api: httpx.AsyncClient, alice: Headers
) -> None:
    item = await create(api, alice)
    made = await comment(api, alice, item, "one")
    edited = await api.patch(made, json={"body": "two"}, headers={**alice, **if_match(1)})
    assert edited.status_code == 200, edited.text
    problem(await api.delete(made, headers={**alice, **if_match(1)}), 412, "version_conflict")
    assert await listed(api, alice, item) == ["two"]
    assert (await api.delete(made, headers={**alice, **if_match(2)})).status_code == 204
    assert await listed(api, alice, item) == []


async def test_only_the_author_edits_a_comment_and_an_owner_may_delete_it(
    api: httpx.AsyncClient, team: Team
) -> None:
    item = await create(api, team.bea, TEAM)
    beas = await comment(api, team.bea, item, "bea's")
    in_team = f"{TEAM}/comments/{beas.rsplit('/', 1)[1]}"
    assert beas == in_team  # Location follows the path used

    for other in (team.dee, team.ada):
        refused = await api.patch(in_team, json={"body": "mine now", "version": 1}, headers=other)
        problem(refused, 403, "forbidden")
    problem(await api.delete(in_team, headers=team.dee), 403, "forbidden")
    assert await listed(api, team.ada, item) == ["bea's"]

    mine = await api.patch(in_team, json={"body": "bea's, edited", "version": 1}, headers=team.bea)
    assert mine.status_code == 200, mine.text
    assert (await api.delete(in_team, headers=team.ada)).status_code == 204
    assert await listed(api, team.bea, item) == []
    [deleted] = (await history(api, team.bea, item))["items"][-1:]
    assert deleted["action"] == "comment_deleted"
    assert deleted["actor"]["account"] == "ada@example.com"


async def test_a_reader_reads_history_and_comments_but_may_not_comment(
    api: httpx.AsyncClient, team: Team
) -> None:
    item = await create(api, team.bea, TEAM)
    beas = await comment(api, team.bea, item, "hello")
    refused = await api.post(f"{item}/comments", json={"body": "me too"}, headers=team.cy)
    body = problem(refused, 403, "forbidden")
    assert (body["ledger"], body["role"]) == ("team", "reader")
    problem(
        await api.patch(beas, json={"body": "x", "version": 1}, headers=team.cy), 403, "forbidden"
    )
    problem(await api.delete(beas, headers=team.cy), 403, "forbidden")
    assert await listed(api, team.cy, item) == ["hello"]
    assert [e["action"] for e in (await history(api, team.cy, item))["items"]] == [
        "create",
        "comment",
    ]


async def test_another_ledgers_comments_answer_exactly_like_missing_ones(
    api: httpx.AsyncClient, team: Team
) -> None:
    item = await create(api, team.bea, TEAM)
    beas = (await comment(api, team.bea, item, "team only")).rsplit("/", 1)[1]
    item_id = item.rsplit("/", 1)[1]
    # From eve's own ledger, team's item and comment are missing ones.
    await assert_answers_like_a_random_id(
        api,
        team.eve,
        lambda id_: [
            ("PATCH", f"{COMMENTS}/{id_}", {"json": {"body": "x", "version": 1}}),
            ("DELETE", f"{COMMENTS}/{id_}", {}),
        ],
        beas,
    )
    # Named, team is a ledger eve does not belong to: exactly a missing ledger.
    for method, path, options in (
        ("GET", f"/work-items/{item_id}/history", {}),
        ("GET", f"/work-items/{item_id}/comments", {}),
        ("POST", f"/work-items/{item_id}/comments", {"json": {"body": "x"}}),
        ("PATCH", f"/comments/{beas}", {"json": {"body": "x", "version": 1}}),
        ("DELETE", f"/comments/{beas}", {}),
    ):
        theirs = await api.request(method, f"{TEAM}{path}", headers=team.eve, **options)
        missing = await api.request(
            method, f"/api/v1/ledgers/nope{path}", headers=team.eve, **options
        )
        assert theirs.status_code == missing.status_code == 404, (method, path)
        assert theirs.json() | {"detail": ""} == missing.json() | {"detail": ""}
    # And a member's own default ledger does not hold team's comments either.
    assert (await api.delete(f"{COMMENTS}/{beas}", headers=team.bea)).status_code == 404
    assert await listed(api, team.bea, item) == ["team only"]


# --- what a stale change is told ------------------------------------------------------------


@pytest.mark.parametrize("how", ["if-match", "body"])
async def test_a_stale_change_says_exactly_what_changed_since(
    api: httpx.AsyncClient, alice: Headers, how: str
) -> None:
    item = await create(api, alice)
    changed = await api.patch(
        item, json={"title": "renamed", "priority": "high"}, headers={**alice, **if_match(1)}
    )
    assert changed.status_code == 200, changed.text
    stale = (
        await api.patch(item, json={"status": "completed"}, headers={**alice, **if_match(1)})
        if how == "if-match"
        else await api.patch(item, json={"status": "completed", "version": 1}, headers=alice)
    )
    refused = problem(stale, 412 if how == "if-match" else 409, "version_conflict")
    assert (refused["requested_version"], refused["current_version"]) == (1, 2)
    assert refused["changes_since"] == {
        "title": ["a task", "renamed"],
        "priority": ["medium", "high"],
    }
