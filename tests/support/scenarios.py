"""The acceptance scenarios, written once against connected MCP clients, so
that they run over every transport (stdio, HTTP) in both connection modes."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

from mcp.client.client import Client

from tests.conftest import new_actor
from tests.support.mcp import call, refused
from tests.support.servers import unique
from workledger.container import Container
from workledger.schemas.vendor import VendorUpdate

# --- the acceptance scenarios, over any transport -------------------------------

VENDOR_COUNT = 45


def vendor_fields(i: int) -> dict[str, Any]:
    """Distinct health for every vendor, so a mixed-up answer cannot pass."""
    total, skipped = 40 + i, i % 5
    return {
        "status": "broken" if i % 7 == 3 else "operational",
        "test_results": {"passing": total - skipped - i % 3, "total": total, "skipped": skipped},
        "format_support": {
            "excel": i % 2 == 0,
            "csv": i % 3 == 0,
            "pdf": i % 4 == 0,
            "ocr": i % 5 == 0,
        },
        "extractor_version": f"{1 + i % 3}.{i}.0",
        "manifest_compliant": i % 2 == 1,
    }


async def scenario_vendor_health(client: Client, *, client_name: str) -> None:
    """1. With 45 vendors, one asked for by name answers with its whole health."""
    tag = unique("vendor")
    created = []
    for i in range(VENDOR_COUNT):
        created.append(
            await call(client, "create_vendor", name=f"{tag}-{i:02d}", **vendor_fields(i))
        )
    for i in (31, 12):  # a broken one and an operational one
        vendor = await call(client, "query_vendor_status", name=f"{tag}-{i:02d}")
        assert {key: vendor[key] for key in vendor_fields(i)} == vendor_fields(i)
        assert vendor["id"] == created[i]["id"]
        assert (vendor["name"], vendor["version"]) == (f"{tag}-{i:02d}", 1)
        assert vendor["created_by"] == vendor["updated_by"] == client_name
        assert await call(client, "query_vendor_status", vendor_id=vendor["id"]) == vendor
    listing = await call(client, "list_vendors")
    assert len(listing["vendors"]) == VENDOR_COUNT
    assert (listing["operational_count"], listing["broken_count"]) == (39, 6)


async def scenario_deployment(client: Client) -> None:
    """3. A deployment keeps every link, answers with names and titles, and is recorded once."""
    tag = unique("deploy")
    vendors = [await call(client, "create_vendor", name=f"{tag}-{n}") for n in "abcd"]
    items = [
        await call(client, "create_work_item", item_type="task", title=f"{tag} task {n}")
        for n in range(3)
    ]
    deployment = {
        "pr_number": 4242,
        "pr_title": f"Ship {tag}",
        "commit_hash": uuid.uuid4().hex + "0123abcd",
        "test_summary": {"unit": 412, "integration": 37, "e2e": 9},
        "constitutional_compliance": True,
    }
    first = await call(
        client,
        "record_deployment",
        vendor_names=[v["name"] for v in vendors[:3]],
        work_item_ids=[i["id"] for i in items[:2]],
        **deployment,
    )
    assert first["created"] is True
    assert {key: first[key] for key in deployment} == deployment
    assert sorted(first["vendor_ids"]) == sorted(v["id"] for v in vendors[:3])
    assert sorted(first["work_item_ids"]) == sorted(i["id"] for i in items[:2])
    affected = {(v["id"], v["name"], v["status"]) for v in first["affected_vendors"]}
    assert affected == {(v["id"], v["name"], "operational") for v in vendors[:3]}
    related = {(i["id"], i["title"], i["status"]) for i in first["related_work_items"]}
    assert related == {(i["id"], i["title"], "active") for i in items[:2]}

    again = await call(
        client,
        "record_deployment",
        vendor_ids=[v["id"] for v in vendors[:3]],
        work_item_ids=[i["id"] for i in items[:2]],
        **deployment,
    )
    assert again["created"] is False
    assert {**again, "created": True} == first
    listed = await call(client, "list_deployments")
    assert [d["id"] for d in listed["items"]] == [first["id"]]
    assert listed["total_count"] == 1
    by_vendor = await call(client, "list_deployments", vendor_id=vendors[2]["id"])
    assert [d["id"] for d in by_vendor["items"]] == [first["id"]]
    by_other_vendor = await call(client, "list_deployments", vendor_id=vendors[3]["id"])
    assert by_other_vendor["items"] == []


async def scenario_hierarchy(client: Client) -> None:
    """6. A leaf five levels down has its 4 ancestors, root first; the root has every
    descendant, in tree order, with depth, parent and dependencies."""
    tag = unique("tree")
    chain = [await call(client, "create_work_item", item_type="project", title=f"{tag} root")]
    sibling: dict[str, Any] = {}
    for level, item_type in enumerate(("session", "task", "task", "research"), start=1):
        title, parent = f"{tag} level {level}", chain[-1]["id"]
        chain.append(
            await call(
                client, "create_work_item", item_type=item_type, title=title, parent_id=parent
            )
        )
        if level == 1:  # created before the deeper levels: tree order is not creation order
            sibling = await call(
                client,
                "create_work_item",
                item_type="task",
                title=f"{tag} sibling",
                parent_id=chain[0]["id"],
            )
    root, leaf = chain[0], chain[-1]
    blocks = [{"depends_on_id": sibling["id"], "dependency_type": "blocks"}]
    leaf = await call(client, "update_work_item", id=leaf["id"], version=1, dependencies=blocks)
    assert (leaf["depth"], leaf["version"], leaf["dependencies"]) == (4, 2, blocks)
    sixth = await refused(
        client, "create_work_item", item_type="task", title=f"{tag} too deep", parent_id=leaf["id"]
    )
    assert sixth["error"] == "conflict"

    up = await call(client, "query_work_item", id=leaf["id"], include_hierarchy=True)
    assert [(a["id"], a["depth"]) for a in up["ancestors"]] == [
        (item["id"], depth) for depth, item in enumerate(chain[:4])
    ]
    assert up["descendants"] == []
    assert (up["title"], up["dependencies"]) == (leaf["title"], blocks)

    down = await call(client, "query_work_item", id=root["id"], include_hierarchy=True)
    assert down["ancestors"] == []
    pairs = enumerate(itertools.pairwise(chain), start=1)
    expected = [(item["id"], depth, parent["id"]) for depth, (parent, item) in pairs]
    expected.append((sibling["id"], 1, root["id"]))
    assert [(d["id"], d["depth"], d["parent_id"]) for d in down["descendants"]] == expected
    dependencies = {d["id"]: d["dependencies"] for d in down["descendants"]}
    assert dependencies.pop(leaf["id"]) == blocks
    assert all(deps == [] for deps in dependencies.values())

    shallow = await call(
        client, "query_work_item", id=root["id"], include_hierarchy=True, max_depth=2
    )
    assert [d["id"] for d in shallow["descendants"]] == [
        chain[1]["id"],
        chain[2]["id"],
        sibling["id"],
    ]


async def scenario_two_agents(clients: dict[str, Client]) -> None:
    """2. Clients that read version N all write with N: exactly one wins (N+1), every
    other gets version_conflict naming the versions and the winner; nothing is lost."""
    names = list(clients)
    first = clients[names[0]]
    item = await call(first, "create_work_item", item_type="task", title=unique("race"))
    item = await call(first, "update_work_item", id=item["id"], version=1, priority="high")
    for client in clients.values():
        assert (await call(client, "query_work_item", id=item["id"]))["version"] == 2

    changes = {name: {"title": f"{name}'s title", "tags": [name]} for name in names}
    results = await asyncio.gather(
        *(
            client.call_tool("update_work_item", {"id": item["id"], "version": 2, **changes[name]})
            for name, client in clients.items()
        )
    )
    winners = [name for name, result in zip(names, results, strict=True) if not result.is_error]
    assert len(winners) == 1, f"winners: {winners}"
    winner = winners[0]
    for name, result in zip(names, results, strict=True):
        if name == winner:
            continue
        error = json.loads(result.content[0].text)  # type: ignore[union-attr]
        assert error["error"] == "version_conflict"
        assert (error["current_version"], error["requested_version"]) == (3, 2)
        assert error["updated_by"] == winner
        assert winner in error["message"]

    loser = next(name for name in names if name != winner)
    final = await call(clients[loser], "query_work_item", id=item["id"])
    assert final["version"] == 3
    assert (final["title"], final["tags"], final["updated_by"]) == (
        changes[winner]["title"],
        [winner],
        winner,
    )
    assert final["priority"] == "high"  # the earlier change survived too

    retried = await call(
        clients[loser], "update_work_item", id=item["id"], version=3, **changes[loser]
    )
    assert (retried["version"], retried["title"], retried["updated_by"]) == (
        4,
        changes[loser]["title"],
        loser,
    )


async def scenario_visibility(
    writer: Client, reader: Client, *, writer_name: str
) -> dict[str, Any]:
    """7. What one client changes, the next read of another client of the account shows.

    Returns the changed records (``vendor``, ``item``) for checks by other accounts."""
    tag = unique("seen")
    vendor = await call(writer, "create_vendor", name=tag)
    item = await call(writer, "create_work_item", item_type="research", title=f"{tag} draft")
    # The reader reads first, so anything it caches is stale after the writer's changes.
    assert (await call(reader, "query_vendor_status", name=tag))["status"] == "operational"
    assert (await call(reader, "query_work_item", id=item["id"]))["version"] == 1
    assert (await call(reader, "list_work_items", search=tag))["total_count"] == 1

    vendor = await call(
        writer,
        "update_vendor_status",
        name=tag,
        version=1,
        status="broken",
        test_results={"passing": 7, "total": 10, "skipped": 1},
    )
    item = await call(
        writer,
        "update_work_item",
        id=item["id"],
        version=1,
        title=f"{tag} final",
        status="completed",
    )

    seen_vendor = await call(reader, "query_vendor_status", name=tag)
    assert seen_vendor == vendor
    assert (seen_vendor["status"], seen_vendor["version"], seen_vendor["updated_by"]) == (
        "broken",
        2,
        writer_name,
    )
    seen_item = await call(reader, "query_work_item", id=item["id"])
    assert (seen_item["title"], seen_item["status"], seen_item["version"]) == (
        f"{tag} final",
        "completed",
        2,
    )
    listed = await call(reader, "list_work_items", search=tag)
    assert [(i["title"], i["version"]) for i in listed["items"]] == [(f"{tag} final", 2)]
    assert (await call(reader, "list_vendors", status="broken"))["vendors"] == [vendor]
    return {"vendor": vendor, "item": item}


async def assert_invisible(outsider: Client, records: dict[str, Any]) -> None:
    """Another account's client finds none of ``records`` (see ``scenario_visibility``)."""
    vendor, item = records["vendor"], records["item"]
    missing_vendor = await refused(outsider, "query_vendor_status", name=vendor["name"])
    assert missing_vendor["error"] == "not_found"
    missing_item = await refused(outsider, "query_work_item", id=item["id"])
    assert missing_item["error"] == "not_found"
    assert (await call(outsider, "list_work_items", search=item["title"]))["items"] == []
    assert (await call(outsider, "list_vendors"))["vendors"] == []


async def assert_outside_change_seen(
    container: Container, email: str, reader: Client, vendor: dict[str, Any]
) -> None:
    """A change made outside the server process (the test's own container, as the CLI or
    REST would) is what the server's next read answers: its read cache must notice."""
    cli = await new_actor(container, email, "cli")
    data = VendorUpdate.load({"version": vendor["version"], "extractor_version": "9.9.9"})
    await container.vendors.update(actor=cli, data=data, vendor_id=uuid.UUID(vendor["id"]))
    seen = await call(reader, "query_vendor_status", name=vendor["name"])
    assert (seen["extractor_version"], seen["version"], seen["updated_by"]) == (
        "9.9.9",
        vendor["version"] + 1,
        "cli",
    )
