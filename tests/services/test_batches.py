"""The batch methods behind the import: each item made as its one-at-a-time create would
make it, or answered with the error that refused it, in one transaction."""

from __future__ import annotations

import uuid

from tests.services.work_items import make
from workledger.container import Container
from workledger.errors import Conflict, NotFound, ValidationError
from workledger.models import new_id
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery
from workledger.schemas.enhancement import EnhancementCreate
from workledger.schemas.vendor import VendorCreate
from workledger.schemas.work_item import WorkItemCreate, WorkItemListQuery


async def test_vendors_in_a_batch_match_a_single_create_and_refuse_taken_names(
    container: Container, actor: Actor
) -> None:
    await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "Taken"}))
    raw = {
        "test_results": {"passing": 4, "total": 5, "skipped": 1},
        "format_support": {"pdf": True},
    }

    made = await container.vendors.create_many(
        actor=actor,
        items=[
            VendorCreate.load({"name": "Acme", "status": "broken", **raw}),
            VendorCreate.load({"name": "Taken"}),
            VendorCreate.load({"name": "Acme"}),  # twice in the batch: the second is refused
        ],
    )

    acme, taken, again = made
    assert isinstance(taken, Conflict)
    assert isinstance(again, Conflict)
    assert "already exists" in taken.message
    assert not isinstance(acme, Conflict)
    stored = await container.vendors.get(actor=actor, name="Acme")
    assert stored == acme
    single = await container.vendors.create(
        actor=actor, data=VendorCreate.load({"name": "Solo", "status": "broken", **raw})
    )
    exclude = {"id", "name", "created_at", "updated_at"}
    assert stored.model_dump(exclude=exclude) == single.model_dump(exclude=exclude)
    assert (await container.vendors.list(actor=actor)).broken_count == 2


async def test_deployments_in_a_batch_are_recorded_once_with_their_links(
    container: Container, actor: Actor
) -> None:
    vendor = await container.vendors.create(actor=actor, data=VendorCreate.load({"name": "V"}))
    item = await make(container, actor, "Shipped")
    first = await container.deployments.record(
        actor=actor,
        data=DeploymentCreate.load({"pr_number": 1, "pr_title": "One", "commit_hash": "a" * 40}),
    )

    def deployment(pr: int, **links: object) -> DeploymentCreate:
        return DeploymentCreate.load(
            {"pr_number": pr, "pr_title": f"PR {pr}", "commit_hash": f"{pr:040x}", **links}
        )

    made = await container.deployments.record_many(
        actor=actor,
        items=[
            deployment(2, vendor_names=["V"], work_item_ids=[str(item.id)]),
            DeploymentCreate.load({"pr_number": 1, "pr_title": "Again", "commit_hash": "a" * 40}),
            deployment(3, vendor_ids=[str(uuid.uuid4())]),
            deployment(2, vendor_names=["V"]),  # the same PR and commit again
        ],
    )

    two, one, missing, two_again = made
    assert isinstance(missing, NotFound)
    assert not isinstance(two, Exception)
    assert not isinstance(one, Exception)
    assert not isinstance(two_again, Exception)
    assert (two.created, one.created, two_again.created) == (True, False, False)
    assert (one.id, one.pr_title) == (first.id, "One")
    assert two_again.id == two.id
    stored = await container.deployments.get(actor=actor, deployment_id=two.id)
    assert stored.model_dump(exclude={"created"}) == two.model_dump(exclude={"created"})
    assert [v.id for v in stored.affected_vendors] == [vendor.id]
    assert [w.title for w in stored.related_work_items] == ["Shipped"]
    listed = await container.deployments.list(actor=actor, query=DeploymentListQuery.load({}))
    assert sorted(d.pr_number for d in listed.items) == [1, 2]


async def test_work_items_in_a_batch_nest_under_earlier_ones_and_keep_the_rules(
    container: Container, actor: Actor
) -> None:
    existing = await make(container, actor, "Existing")
    root, child = new_id(), new_id()

    made = await container.work_items.create_many(
        actor=actor,
        items=[
            WorkItemCreate.load({"item_type": "project", "title": "Root"}),
            WorkItemCreate.load(
                {
                    "item_type": "task",
                    "title": "Child",
                    "parent_id": str(root),
                    "dependencies": [{"depends_on_id": str(existing.id)}],
                }
            ),
            WorkItemCreate.load(
                {"item_type": "task", "title": "Orphan", "parent_id": str(uuid.uuid4())}
            ),
            WorkItemCreate.load(
                {
                    "item_type": "task",
                    "title": "Self",
                    "dependencies": [{"depends_on_id": str(child)}],
                }
            ),
        ],
        ids=[root, child, None, child],
    )

    assert isinstance(made[2], NotFound)
    assert isinstance(made[3], ValidationError | Conflict)
    tree = await container.work_items.get_hierarchy(actor=actor, item_id=root)
    assert [(d.title, d.depth) for d in tree.descendants or []] == [("Child", 1)]
    stored = await container.work_items.get(actor=actor, item_id=child)
    assert stored == made[1]
    assert [d.depends_on_id for d in stored.dependencies] == [existing.id]
    page = await container.work_items.list(
        actor=actor, query=WorkItemListQuery.load({"item_type": "task"})
    )
    assert (page.total_count, sorted(i.title for i in page.items)) == (2, ["Child", "Existing"])


async def test_enhancements_in_a_batch_refuse_unknown_dependencies(
    container: Container, actor: Actor
) -> None:
    before = await container.enhancements.create(
        actor=actor, data=EnhancementCreate.load({"title": "Before"})
    )

    made = await container.enhancements.create_many(
        actor=actor,
        items=[
            EnhancementCreate.load({"title": "After", "depends_on": [str(before.id)]}),
            EnhancementCreate.load({"title": "Dangling", "depends_on": [str(uuid.uuid4())]}),
        ],
    )

    after, dangling = made
    assert isinstance(dangling, NotFound)
    assert not isinstance(after, Exception)
    assert await container.enhancements.get(actor=actor, enhancement_id=after.id) == after
    assert after.depends_on == [before.id]
