"""Ledgers a team shares, over REST: who may read and write where, and who did it."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.api.conftest import signup_and_login

LEDGERS = "/api/v1/ledgers"


@dataclass(frozen=True)
class Team:
    """``team``: owned by ada, with bea a member, cy a reader; eve belongs elsewhere."""

    ada: dict[str, str]
    bea: dict[str, str]
    cy: dict[str, str]
    eve: dict[str, str]


async def _token(api: httpx.AsyncClient, who: dict[str, str], **body: str) -> dict[str, str]:
    made = await api.post("/api/v1/auth/api-tokens", json={"name": "t", **body}, headers=who)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


@pytest.fixture
async def team(api: httpx.AsyncClient) -> Team:
    ada = await signup_and_login(api, "ada@example.com")
    bea = await signup_and_login(api, "bea@example.com")
    cy = await signup_and_login(api, "cy@example.com")
    eve = await signup_and_login(api, "eve@example.com")
    made = await api.post(LEDGERS, json={"slug": "team", "name": "The team"}, headers=ada)
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "owner"
    for email, role in (("bea@example.com", "member"), ("cy@example.com", "reader")):
        added = await api.put(f"{LEDGERS}/team/members/{email}", json={"role": role}, headers=ada)
        assert added.status_code == 200, added.text
    return Team(ada, bea, cy, eve)


async def _read(api: httpx.AsyncClient, who: dict[str, str], ledger: str = "team") -> int:
    return (await api.get(f"{LEDGERS}/{ledger}/work-items", headers=who)).status_code


async def _write(api: httpx.AsyncClient, who: dict[str, str], ledger: str = "team") -> int:
    body = {"item_type": "task", "title": "a task"}
    return (await api.post(f"{LEDGERS}/{ledger}/work-items", json=body, headers=who)).status_code


async def test_each_role_reads_and_writes_as_its_role_allows(
    api: httpx.AsyncClient, team: Team
) -> None:
    expected = {
        "owner": (team.ada, 200, 201),
        "member": (team.bea, 200, 201),
        "reader": (team.cy, 200, 403),
        "non-member": (team.eve, 404, 404),
    }
    found = {
        role: (await _read(api, who), await _write(api, who))
        for role, (who, _, _) in expected.items()
    }
    assert found == {role: (read, write) for role, (_, read, write) in expected.items()}


async def test_a_reader_who_writes_is_told_the_ledger_and_the_role(
    api: httpx.AsyncClient, team: Team
) -> None:
    body = {"item_type": "task", "title": "a task"}
    refused = await api.post(f"{LEDGERS}/team/work-items", json=body, headers=team.cy)
    assert refused.status_code == 403
    problem = refused.json()
    assert (problem["code"], problem["ledger"], problem["role"]) == ("forbidden", "team", "reader")
    listed = await api.get(f"{LEDGERS}/team/work-items", headers=team.ada)
    assert listed.json()["total_count"] == 0  # and nothing was written


async def test_a_ledger_you_do_not_belong_to_is_exactly_a_missing_one(
    api: httpx.AsyncClient, team: Team
) -> None:
    made = await api.post(
        f"{LEDGERS}/team/work-items", json={"item_type": "task", "title": "x"}, headers=team.ada
    )
    item = made.json()["id"]
    for path in ("", "/work-items", f"/work-items/{item}", "/members", "/status"):
        theirs = await api.get(f"{LEDGERS}/team{path}", headers=team.eve)
        missing = await api.get(f"{LEDGERS}/nope{path}", headers=team.eve)
        assert theirs.status_code == missing.status_code == 404, path
        assert theirs.json() | {"detail": ""} == missing.json() | {"detail": ""}, path
        assert "team" in theirs.json()["detail"]
        assert "nope" in missing.json()["detail"]
    # Their item, asked for in their own ledger, is a missing item too.
    mine = await api.get(f"/api/v1/work-items/{item}", headers=team.eve)
    assert mine.status_code == 404
    listed = await api.get(LEDGERS, headers=team.eve)
    assert [ledger["slug"] for ledger in listed.json()["items"]] == ["eve"]


async def test_removing_a_member_takes_effect_at_once_on_their_tokens(
    api: httpx.AsyncClient, team: Team
) -> None:
    token = await _token(api, team.bea, ledger="team")
    assert await _write(api, token) == 201
    removed = await api.delete(f"{LEDGERS}/team/members/bea@example.com", headers=team.ada)
    assert removed.status_code == 204
    assert (await _read(api, token), await _write(api, token)) == (404, 404)
    assert (await _read(api, team.bea), await _write(api, team.bea)) == (404, 404)


async def test_lowering_a_role_lowers_what_the_tokens_may_do(
    api: httpx.AsyncClient, team: Team
) -> None:
    token = await _token(api, team.bea, ledger="team")
    assert await _write(api, token) == 201
    lowered = await api.put(
        f"{LEDGERS}/team/members/bea@example.com", json={"role": "reader"}, headers=team.ada
    )
    assert lowered.status_code == 200
    assert (await _read(api, token), await _write(api, token)) == (200, 403)


async def test_a_ledger_bound_token_serves_its_ledger_only_with_its_role(
    api: httpx.AsyncClient, team: Team
) -> None:
    reading = await _token(api, team.ada, ledger="team", role="reader")
    assert (await _read(api, reading), await _write(api, reading)) == (200, 403)
    # Its ledger is the one paths without a ledger act on; any other is missing.
    assert (await api.get("/api/v1/work-items", headers=reading)).status_code == 200
    assert await _read(api, reading, ledger="ada") == 404
    listed = await api.get(LEDGERS, headers=reading)
    assert [(x["slug"], x["role"]) for x in listed.json()["items"]] == [("team", "reader")]
    tokens = await api.get("/api/v1/auth/api-tokens", headers=team.ada)
    assert [(t["ledger"], t["role"]) for t in tokens.json()] == [("team", "reader")]


async def test_a_token_cannot_have_more_power_than_its_maker(
    api: httpx.AsyncClient, team: Team
) -> None:
    refused = await api.post(
        "/api/v1/auth/api-tokens",
        json={"name": "t", "ledger": "team", "role": "owner"},
        headers=team.bea,
    )
    assert refused.status_code == 403, refused.text


async def test_paths_without_a_ledger_act_on_the_default_ledger(
    api: httpx.AsyncClient, team: Team
) -> None:
    assert await _write(api, team.ada) == 201  # in "team"
    made = await api.post(
        "/api/v1/work-items", json={"item_type": "task", "title": "mine"}, headers=team.ada
    )
    assert made.status_code == 201
    assert made.headers["location"].startswith("/api/v1/work-items/")
    own = await api.get(f"{LEDGERS}/ada/work-items", headers=team.ada)
    assert [item["title"] for item in own.json()["items"]] == ["mine"]


async def test_every_record_says_which_person_and_client_did_it(
    api: httpx.AsyncClient, team: Team
) -> None:
    made = await api.post(
        f"{LEDGERS}/team/work-items",
        json={"item_type": "task", "title": "shared"},
        headers={**team.ada, "X-Client-Name": "claude-code"},
    )
    item = made.json()
    assert (item["created_by"], item["created_by_account"]) == ("claude-code", "ada@example.com")
    changed = await api.patch(
        f"{LEDGERS}/team/work-items/{item['id']}",
        json={"version": 1, "title": "renamed"},
        headers={**team.bea, "X-Client-Name": "cursor"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["updated_by"], changed.json()["updated_by_account"]) == (
        "cursor",
        "bea@example.com",
    )
    stale = await api.patch(
        f"{LEDGERS}/team/work-items/{item['id']}",
        json={"version": 1, "title": "mine"},
        headers=team.ada,
    )
    assert stale.status_code == 409
    assert (stale.json()["updated_by"], stale.json()["updated_by_account"]) == (
        "cursor",
        "bea@example.com",
    )
    assert "bea@example.com via cursor" in stale.json()["detail"]


async def test_a_ledger_keeps_an_owner_and_only_owners_manage_members(
    api: httpx.AsyncClient, team: Team
) -> None:
    by_member = await api.put(
        f"{LEDGERS}/team/members/eve@example.com", json={"role": "member"}, headers=team.bea
    )
    assert by_member.status_code == 403
    last = await api.delete(f"{LEDGERS}/team/members/ada@example.com", headers=team.ada)
    assert last.status_code == 409
    unknown = await api.put(
        f"{LEDGERS}/team/members/nobody@example.com", json={"role": "member"}, headers=team.ada
    )
    assert unknown.status_code == 404
    members = await api.get(f"{LEDGERS}/team/members", headers=team.cy)
    assert members.json() == [
        {"email": "ada@example.com", "role": "owner"},
        {"email": "bea@example.com", "role": "member"},
        {"email": "cy@example.com", "role": "reader"},
    ]
    taken = await api.post(LEDGERS, json={"slug": "team"}, headers=team.eve)
    assert taken.status_code == 409
    bad = await api.post(LEDGERS, json={"slug": "Not A Slug"}, headers=team.eve)
    assert bad.status_code == 422


async def test_each_account_gets_a_ledger_of_its_own_named_after_its_email(
    api: httpx.AsyncClient,
) -> None:
    first = await signup_and_login(api, "ada.l@a.example.com")
    second = await signup_and_login(api, "Ada.L@b.example.com")
    found = [(await api.get(LEDGERS, headers=who)).json()["items"] for who in (first, second)]
    assert [[(x["slug"], x["role"]) for x in items] for items in found] == [
        [("ada-l", "owner")],
        [("ada-l-2", "owner")],
    ]
