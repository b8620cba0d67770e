"""JSON values mean what their type says (issue 16): a number is not a date, a string is
not a number or a boolean, 0 is not a timestamp. Each wrong type is refused with 422
validation_error naming the field, and nothing is written; the right types, and dates
and times in ISO 8601, are taken."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.checks import fields, problem
from workledger.schemas.common import Actor

WORK_ITEMS = "/api/v1/work-items"
VENDORS = "/api/v1/vendors"
DEPLOYMENTS = "/api/v1/deployments"
DEPLOYMENT = {"pr_number": 7, "pr_title": "Ship it", "commit_hash": "a" * 40}

# (collection, body, the field named): each wrong only in that field's JSON type.
WRONG_TYPES = [
    (WORK_ITEMS, {"item_type": "task", "title": "t", "due_date": 0}, "due_date"),
    (WORK_ITEMS, {"item_type": "task", "title": "t", "due_date": "0"}, "due_date"),
    (WORK_ITEMS, {"item_type": "task", "title": "t", "pr_number": "12"}, "pr_number"),
    (WORK_ITEMS, {"item_type": "task", "title": "t", "pr_number": 12.5}, "pr_number"),
    (WORK_ITEMS, {"item_type": "task", "title": 5}, "title"),
    (WORK_ITEMS, {"item_type": "task", "title": "t", "tags": "api"}, "tags"),
    (
        WORK_ITEMS,
        {"item_type": "task", "title": "t", "metadata": {"estimated_hours": "2"}},
        "metadata.estimated_hours",
    ),
    (VENDORS, {"name": "Acme", "manifest_compliant": "yes"}, "manifest_compliant"),
    (VENDORS, {"name": "Acme", "manifest_compliant": 1}, "manifest_compliant"),
    (
        VENDORS,
        {"name": "Acme", "test_results": {"passing": "3", "total": 4}},
        "test_results.passing",
    ),
    (DEPLOYMENTS, {**DEPLOYMENT, "constitutional_compliance": "no"}, "constitutional_compliance"),
    (DEPLOYMENTS, {**DEPLOYMENT, "deployed_at": 0}, "deployed_at"),
    (DEPLOYMENTS, {**DEPLOYMENT, "deployed_at": "1700000000"}, "deployed_at"),
    (DEPLOYMENTS, {**DEPLOYMENT, "pr_number": "7"}, "pr_number"),
]


async def count(api: httpx.AsyncClient, collection: str, headers: dict[str, str]) -> int:
    listed = await api.get(collection, headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    return int(body["total_count"] if "total_count" in body else len(body["vendors"]))


@pytest.mark.parametrize(("collection", "body", "field"), WRONG_TYPES)
async def test_a_value_of_the_wrong_json_type_is_refused_naming_its_field(
    api: httpx.AsyncClient, alice: dict[str, str], collection: str, body: dict[str, Any], field: str
) -> None:
    before = await count(api, collection, alice)
    refused = problem(await api.post(collection, json=body, headers=alice), 422, "validation_error")
    assert fields(refused) == [field]
    assert await count(api, collection, alice) == before


async def test_iso_dates_and_times_and_true_json_types_are_taken(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    body = {"item_type": "task", "title": "t", "due_date": "2026-05-01", "pr_number": 12}
    item = await api.post(WORK_ITEMS, json=body, headers=alice)
    assert item.status_code == 201, item.text
    assert (item.json()["due_date"], item.json()["pr_number"]) == ("2026-05-01", 12)
    vendor = await api.post(
        VENDORS, json={"name": "Acme", "manifest_compliant": True}, headers=alice
    )
    assert vendor.status_code == 201, vendor.text
    assert vendor.json()["manifest_compliant"] is True
    shipped = {
        **DEPLOYMENT,
        "deployed_at": "2026-05-01T12:00:00Z",
        "constitutional_compliance": False,
    }
    deployment = await api.post(DEPLOYMENTS, json=shipped, headers=alice)
    assert deployment.status_code == 201, deployment.text
    assert deployment.json()["deployed_at"].startswith("2026-05-01T12:00:00")


async def test_a_patch_refuses_wrong_types_and_changes_nothing(
    api: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    created = await api.post(WORK_ITEMS, json={"item_type": "task", "title": "t"}, headers=alice)
    url = f"{WORK_ITEMS}/{created.json()['id']}"
    for change in ({"due_date": 0}, {"pr_number": "12"}, {"deleted": "false"}, {"version": "1"}):
        sent = await api.patch(url, json={"version": 1, **change}, headers=alice)
        assert fields(problem(sent, 422, "validation_error")) == list(change)
    after = await api.get(url, headers=alice)
    assert (after.json()["version"], after.json()["due_date"]) == (1, None)


@pytest.mark.parametrize("since", ["0", "1700000000", "yesterday", "2026-13-01"])
async def test_a_time_in_a_query_is_iso_8601_only(
    api: httpx.AsyncClient, alice: dict[str, str], since: str
) -> None:
    answer = await api.get(DEPLOYMENTS, params={"since": since}, headers=alice)
    assert fields(problem(answer, 422, "validation_error")) == ["since"]


async def test_query_strings_still_read_numbers_booleans_and_iso_times(
    api: httpx.AsyncClient, alice: dict[str, str], actor: Actor
) -> None:
    """Every value of a query string is text: limit=2 and ready=true mean what they say."""
    for title in ("a", "b", "c"):
        await api.post(WORK_ITEMS, json={"item_type": "task", "title": title}, headers=alice)
    page = await api.get(WORK_ITEMS, params={"limit": "2", "ready": "true"}, headers=alice)
    assert page.status_code == 200, page.text
    assert (len(page.json()["items"]), page.json()["has_more"]) == (2, True)
    since = await api.get(DEPLOYMENTS, params={"since": "2026-01-01T00:00:00Z"}, headers=alice)
    assert since.status_code == 200, since.text
