"""Every write leaves exactly its event, with the right changes, numbered without gaps.

The walk below names every public method of every service: a write of records must have
a scenario here, and a new service method that is not listed fails the walk, so no
write path can be added without its event being checked."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

import workledger.services
from tests.conftest import new_actor
from workledger.container import Container
from workledger.db.types import utcnow
from workledger.errors import VersionConflict
from workledger.models import Event
from workledger.repositories.history import NUMBERED_AT_COMMIT
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate
from workledger.schemas.enhancement import EnhancementCreate, EnhancementUpdate
from workledger.schemas.history import EventRead, HistoryQuery
from workledger.schemas.project_configuration import ProjectConfigurationUpdate
from workledger.schemas.task import TaskCreate, TaskReplace
from workledger.schemas.vendor import VendorCreate, VendorUpdate
from workledger.schemas.work_item import ClaimNext, WorkItemCreate, WorkItemUpdate
from workledger.schemas.work_log import WorkLogCreate
from workledger.services.common import Service
from workledger.status_file.parser import parse_status_file


@dataclass(frozen=True)
class Expected:
    """What one write leaves: per event, its record type, action and some changes."""

    events: list[tuple[str, str, dict[str, list[Any]]]]
    after: int = 0  # the ledger's seq before the write (0: the scenario wrote nothing else)

    @classmethod
    def since(cls, after: int, events: list[tuple[str, str, dict[str, list[Any]]]]) -> Expected:
        return cls(events, after)


Scenario = Callable[[Container, Actor], Awaitable[Expected]]


async def _task(container: Container, actor: Actor, title: str = "Task") -> Any:
    return await container.work_items.create(
        actor=actor, data=WorkItemCreate.load({"item_type": "task", "title": title})
    )


async def _events(container: Container, actor: Actor, after: int) -> list[EventRead]:
    return (await container.history.changes(actor=actor, after=after, limit=1000)).items


async def work_item_create(c: Container, a: Actor) -> Expected:
    await c.work_items.create(
        actor=a,
        data=WorkItemCreate.load({"item_type": "task", "title": "Write", "tags": ["x"]}),
    )
    return Expected([("work_item", "create", {"title": [None, "Write"], "tags": [None, ["x"]]})])


async def work_item_create_many(c: Container, a: Actor) -> Expected:
    await c.work_items.create_many(
        actor=a,
        items=[WorkItemCreate.load({"item_type": "task", "title": t}) for t in ("A", "B")],
    )
    return Expected(
        [
            ("work_item", "create", {"title": [None, "A"]}),
            ("work_item", "create", {"title": [None, "B"]}),
        ]
    )


async def work_item_update(c: Container, a: Actor) -> Expected:
    item = await _task(c, a, "Old")
    after = await c.history.last_seq(actor=a)
    await c.work_items.update(
        actor=a,
        item_id=item.id,
        data=WorkItemUpdate.load({"version": 1, "title": "New", "priority": "high"}),
    )
    return Expected.since(
        after, [("work_item", "update", {"title": ["Old", "New"], "priority": ["medium", "high"]})]
    )


async def work_item_claim(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    after = await c.history.last_seq(actor=a)
    await c.work_items.claim(actor=a, item_id=item.id, version=1)
    return Expected.since(
        after,
        [
            (
                "work_item",
                "claim",
                {"assignee": [None, a.client], "assignee_account": [None, a.account]},
            )
        ],
    )


async def work_item_release(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    await c.work_items.claim(actor=a, item_id=item.id)
    after = await c.history.last_seq(actor=a)
    await c.work_items.release(actor=a, item_id=item.id)
    return Expected.since(
        after,
        [
            (
                "work_item",
                "release",
                {"assignee": [a.client, None], "assignee_account": [a.account, None]},
            )
        ],
    )


async def work_item_claim_next(c: Container, a: Actor) -> Expected:
    await _task(c, a)
    after = await c.history.last_seq(actor=a)
    await c.work_items.claim_next(actor=a, wanted=ClaimNext.load({}))
    return Expected.since(after, [("work_item", "claim", {"assignee": [None, a.client]})])


async def work_log(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    after = await c.history.last_seq(actor=a)
    await c.work_logs.log(actor=a, work_item_id=item.id, data=WorkLogCreate.load({"minutes": 9}))
    return Expected.since(after, [("work_item", "work_log", {})])


async def work_log_many(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    after = await c.history.last_seq(actor=a)
    entries = [(WorkLogCreate.load({"minutes": n}), None) for n in (4, 5)]
    await c.work_logs.log_many(actor=a, work_item_id=item.id, entries=entries)
    return Expected.since(after, [("work_item", "work_log", {})])


async def work_item_delete(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    after = await c.history.last_seq(actor=a)
    await c.work_items.delete(actor=a, item_id=item.id, version=1)
    return Expected.since(after, [("work_item", "delete", {})])


async def work_item_restore(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    await c.work_items.delete(actor=a, item_id=item.id, version=1)
    after = await c.history.last_seq(actor=a)
    await c.work_items.restore(actor=a, item_id=item.id)
    return Expected.since(after, [("work_item", "restore", {})])


async def vendor_create(c: Container, a: Actor) -> Expected:
    await c.vendors.create(actor=a, data=VendorCreate.load({"name": "Acme", "status": "broken"}))
    return Expected([("vendor", "create", {"name": [None, "Acme"], "status": [None, "broken"]})])


async def vendor_create_many(c: Container, a: Actor) -> Expected:
    await c.vendors.create_many(
        actor=a, items=[VendorCreate.load({"name": "A"}), VendorCreate.load({"name": "B"})]
    )
    return Expected(
        [("vendor", "create", {"name": [None, "A"]}), ("vendor", "create", {"name": [None, "B"]})]
    )


async def vendor_update(c: Container, a: Actor) -> Expected:
    await c.vendors.create(actor=a, data=VendorCreate.load({"name": "Acme"}))
    after = await c.history.last_seq(actor=a)
    await c.vendors.update(
        actor=a,
        name="Acme",
        data=VendorUpdate.load({"version": 1, "status": "broken", "format_support": {"pdf": True}}),
    )
    return Expected.since(
        after,
        [
            (
                "vendor",
                "update",
                {"status": ["operational", "broken"], "format_support.pdf": [False, True]},
            )
        ],
    )


def _deployment(pr: int) -> DeploymentCreate:
    return DeploymentCreate.load(
        {"pr_number": pr, "pr_title": f"PR {pr}", "commit_hash": f"{pr:040x}"}
    )


async def deployment_record(c: Container, a: Actor) -> Expected:
    await c.deployments.record(actor=a, data=_deployment(7))
    return Expected([("deployment", "create", {"pr_number": [None, 7]})])


async def deployment_record_many(c: Container, a: Actor) -> Expected:
    await c.deployments.record_many(actor=a, items=[_deployment(8), _deployment(9)])
    return Expected(
        [
            ("deployment", "create", {"pr_number": [None, 8]}),
            ("deployment", "create", {"pr_number": [None, 9]}),
        ]
    )


async def enhancement_create(c: Container, a: Actor) -> Expected:
    await c.enhancements.create(actor=a, data=EnhancementCreate.load({"title": "Faster"}))
    return Expected([("enhancement", "create", {"title": [None, "Faster"]})])


async def enhancement_create_many(c: Container, a: Actor) -> Expected:
    await c.enhancements.create_many(
        actor=a,
        items=[EnhancementCreate.load({"title": "One"}), EnhancementCreate.load({"title": "Two"})],
    )
    return Expected(
        [
            ("enhancement", "create", {"title": [None, "One"]}),
            ("enhancement", "create", {"title": [None, "Two"]}),
        ]
    )


async def enhancement_update(c: Container, a: Actor) -> Expected:
    made = await c.enhancements.create(actor=a, data=EnhancementCreate.load({"title": "Faster"}))
    after = await c.history.last_seq(actor=a)
    await c.enhancements.update(
        actor=a,
        enhancement_id=made.id,
        data=EnhancementUpdate.load({"version": 1, "status": "approved"}),
    )
    return Expected.since(after, [("enhancement", "update", {"status": ["planned", "approved"]})])


async def enhancement_delete(c: Container, a: Actor) -> Expected:
    made = await c.enhancements.create(actor=a, data=EnhancementCreate.load({"title": "Faster"}))
    after = await c.history.last_seq(actor=a)
    await c.enhancements.delete(actor=a, enhancement_id=made.id, version=1)
    return Expected.since(after, [("enhancement", "delete", {})])


async def configuration_update(c: Container, a: Actor) -> Expected:
    current = await c.configuration.get(actor=a)
    after = await c.history.last_seq(actor=a)
    await c.configuration.update(
        actor=a,
        data=ProjectConfigurationUpdate.load(
            {"version": current.version, "default_token_budget": 50_000}
        ),
    )
    return Expected.since(
        after,
        [
            (
                "configuration",
                "update",
                {"default_token_budget": [current.default_token_budget, 50_000]},
            )
        ],
    )


async def configuration_get(c: Container, a: Actor) -> Expected:
    await c.configuration.get(actor=a)  # the very first read makes it, with its defaults
    return Expected([("configuration", "create", {"active_context_type": [None, "feature"]})])


async def task_create(c: Container, a: Actor) -> Expected:
    await c.tasks.create(actor=a, data=TaskCreate.load({"title": "Todo"}))
    return Expected([("work_item", "create", {"title": [None, "Todo"]})])


async def task_replace(c: Container, a: Actor) -> Expected:
    task = await c.tasks.create(actor=a, data=TaskCreate.load({"title": "Todo"}))
    after = await c.history.last_seq(actor=a)
    await c.tasks.replace(
        actor=a, task_id=task.id, data=TaskReplace.load({"title": "Done it"}), version=None
    )
    return Expected.since(after, [("work_item", "update", {"title": ["Todo", "Done it"]})])


async def task_set_completed(c: Container, a: Actor) -> Expected:
    task = await c.tasks.create(actor=a, data=TaskCreate.load({"title": "Todo"}))
    after = await c.history.last_seq(actor=a)
    await c.tasks.set_completed(actor=a, task_id=task.id, completed=True, version=None)
    return Expected.since(after, [("work_item", "update", {"status": ["active", "completed"]})])


async def task_delete(c: Container, a: Actor) -> Expected:
    task = await c.tasks.create(actor=a, data=TaskCreate.load({"title": "Todo"}))
    after = await c.history.last_seq(actor=a)
    await c.tasks.delete(actor=a, task_id=task.id, version=None)
    return Expected.since(after, [("work_item", "delete", {})])


async def comment_add(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    after = await c.history.last_seq(actor=a)
    made = await c.comments.add(actor=a, work_item_id=item.id, body="Looks **good**")
    said = {"id": str(made.id), "body": "Looks **good**"}
    return Expected.since(after, [("work_item", "comment", {"comment": [None, said]})])


async def comment_edit(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    made = await c.comments.add(actor=a, work_item_id=item.id, body="first")
    after = await c.history.last_seq(actor=a)
    await c.comments.edit(actor=a, comment_id=made.id, body="second", version=1)
    was, now = ({"id": str(made.id), "body": body} for body in ("first", "second"))
    return Expected.since(after, [("work_item", "comment_edited", {"comment": [was, now]})])


async def comment_delete(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    made = await c.comments.add(actor=a, work_item_id=item.id, body="gone soon")
    after = await c.history.last_seq(actor=a)
    await c.comments.delete(actor=a, comment_id=made.id)
    was = {"id": str(made.id), "body": "gone soon"}
    return Expected.since(after, [("work_item", "comment_deleted", {"comment": [was, None]})])


IMPORTED = """# Project status

## Vendors

| Vendor | Status | Tests | Formats | Version | Manifest |
|---|---|---|---|---|---|
| Acme | operational | 12/12 | Excel, CSV | 1.2.0 | yes |
"""


async def import_run(c: Container, a: Actor) -> Expected:
    await c.importer.run(actor=a, document=parse_status_file(IMPORTED, source="test"))
    return Expected([("vendor", "create", {"name": [None, "Acme"]})])


async def archive_archive(c: Container, a: Actor) -> Expected:
    item = await _task(c, a)
    await c.work_items.update(
        actor=a, item_id=item.id, data=WorkItemUpdate.load({"version": 1, "status": "completed"})
    )
    after = await c.history.last_seq(actor=a)
    await c.archive.archive(older_than_days=0, now=utcnow() + timedelta(days=1))
    return Expected.since(after, [("work_item", "archive", {})])


WRITES: dict[str, Scenario] = {
    "WorkItemService.create": work_item_create,
    "WorkItemService.create_many": work_item_create_many,
    "WorkItemService.update": work_item_update,
    "WorkItemService.claim": work_item_claim,
    "WorkItemService.release": work_item_release,
    "WorkItemService.claim_next": work_item_claim_next,
    "WorkLogService.log": work_log,
    "WorkLogService.log_many": work_log_many,
    "WorkItemService.delete": work_item_delete,
    "WorkItemService.restore": work_item_restore,
    "VendorService.create": vendor_create,
    "VendorService.create_many": vendor_create_many,
    "VendorService.update": vendor_update,
    "DeploymentService.record": deployment_record,
    "DeploymentService.record_many": deployment_record_many,
    "EnhancementService.create": enhancement_create,
    "EnhancementService.create_many": enhancement_create_many,
    "EnhancementService.update": enhancement_update,
    "EnhancementService.delete": enhancement_delete,
    "ProjectConfigurationService.update": configuration_update,
    "ProjectConfigurationService.get": configuration_get,
    "TaskService.create": task_create,
    "TaskService.replace": task_replace,
    "TaskService.set_completed": task_set_completed,
    "TaskService.delete": task_delete,
    "CommentService.add": comment_add,
    "CommentService.edit": comment_edit,
    "CommentService.delete": comment_delete,
    "ImportService.run": import_run,
    "ArchiveService.archive": archive_archive,
}
# Methods that change no record of a ledger: reads, accounts and ledgers themselves (not
# records of one), the daily loop around ``archive``, and recounting tallies.
NOT_RECORD_WRITES = {
    *[f"AccountService.{m}" for m in ("authenticate", "create", "create_api_token", "ensure")],
    *[f"AccountService.{m}" for m in ("get", "get_by_email", "list_api_tokens", "principal")],
    *[f"AccountService.{m}" for m in ("resolve_bearer", "revoke_api_token", "set_password")],
    "ArchiveService.run_daily",
    *[f"CommentService.{m}" for m in ("all", "get", "list")],
    *[f"DeploymentService.{m}" for m in ("current", "full_commit_hashes", "get", "list")],
    *[f"EnhancementService.{m}" for m in ("current", "get", "list")],
    "HealthService.check",
    *[f"HistoryService.{m}" for m in ("all_of_work_item", "changes", "follow", "last_seq")],
    "HistoryService.of_work_item",
    *[f"LedgerService.{m}" for m in ("actor", "create", "get", "members", "of")],
    *[f"LedgerService.{m}" for m in ("remove_member", "set_member")],
    "ProjectConfigurationService.current",
    *[f"StatusService.{m}" for m in ("data", "report")],
    *[f"TaskService.{m}" for m in ("get", "list")],
    *[f"VendorService.{m}" for m in ("current", "get", "list")],
    *[f"WorkItemService.{m}" for m in ("current", "dependencies", "get", "get_hierarchy")],
    *[f"WorkItemService.{m}" for m in ("list", "peek_next", "query", "recount")],
}


def _service_methods() -> set[str]:
    """Every public coroutine of every service the container hands out."""
    found: set[str] = set()
    for module in pkgutil.walk_packages(workledger.services.__path__, "workledger.services."):
        for name, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if not issubclass(cls, Service) or cls is Service or cls.__module__ != module.name:
                continue
            if cls.__name__ in ("WorkItemCommands", "WorkItemQueries"):  # parts of WorkItemService
                continue
            for method, fn in inspect.getmembers(cls):
                if method.startswith("_"):
                    continue
                if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
                    found.add(f"{name}.{method}")
    return found


def test_every_service_method_is_walked() -> None:
    methods = _service_methods()
    assert methods - set(WRITES) - NOT_RECORD_WRITES == set(), "a method no test walks"
    assert set(WRITES) | NOT_RECORD_WRITES <= methods, "a listed method no longer exists"


@pytest.mark.parametrize("write", sorted(WRITES))
async def test_each_write_leaves_exactly_its_events(
    container: Container, actor: Actor, write: str
) -> None:
    expected = await WRITES[write](container, actor)
    after = expected.after
    events = await _events(container, actor, after)

    assert [(e.record_type, e.action) for e in events] == [
        (record_type, action) for record_type, action, _ in expected.events
    ]
    for event, (_, _, changes) in zip(events, expected.events, strict=True):
        for name, pair in changes.items():
            assert event.changes.get(name) == pair, (write, name, event.changes)
        assert event.actor.account == (None if write == "ArchiveService.archive" else actor.account)
    assert [e.seq for e in events] == list(range(after + 1, after + 1 + len(events)))


async def test_a_stale_write_says_what_changed_since(container: Container, actor: Actor) -> None:
    item = await _task(container, actor, "First")
    await container.work_items.update(
        actor=actor,
        item_id=item.id,
        data=WorkItemUpdate.load({"version": 1, "title": "Second", "tags": ["a"]}),
    )
    await container.comments.add(actor=actor, work_item_id=item.id, body="not a field change")
    await container.work_items.update(
        actor=actor, item_id=item.id, data=WorkItemUpdate.load({"version": 2, "title": "Third"})
    )

    with pytest.raises(VersionConflict) as refused:
        await container.work_items.update(
            actor=actor,
            item_id=item.id,
            data=WorkItemUpdate.load({"version": 1, "priority": "low"}),
        )

    assert refused.value.details["changes_since"] == {
        "title": ["First", "Third"],
        "tags": [[], ["a"]],
    }
    assert refused.value.details["current_version"] == 3


async def test_history_of_an_item_after_a_version_and_across_archive(
    container: Container, actor: Actor
) -> None:
    item = await _task(container, actor, "Keep")
    await container.work_items.update(
        actor=actor, item_id=item.id, data=WorkItemUpdate.load({"version": 1, "title": "Kept"})
    )
    await container.comments.add(actor=actor, work_item_id=item.id, body="after version 2")
    await container.work_items.update(
        actor=actor,
        item_id=item.id,
        data=WorkItemUpdate.load({"version": 2, "status": "completed"}),
    )
    await container.archive.archive(older_than_days=0, now=utcnow() + timedelta(days=1))

    history = await container.history.of_work_item(
        actor=actor, item_id=item.id.hex[-8:], query=HistoryQuery()
    )
    assert [e.action for e in history.items] == ["create", "update", "comment", "update", "archive"]
    later = await container.history.of_work_item(
        actor=actor, item_id=item.id, query=HistoryQuery.load({"after_version": 2})
    )
    assert [e.action for e in later.items] == ["comment", "update", "archive"]
    first_page = await container.history.of_work_item(
        actor=actor, item_id=item.id, query=HistoryQuery.load({"limit": 2})
    )
    assert first_page.has_more
    assert first_page.total_count == 5
    rest = await container.history.of_work_item(
        actor=actor,
        item_id=item.id,
        query=HistoryQuery.load({"limit": 100, "cursor": first_page.next_cursor}),
    )
    assert [e.seq for e in first_page.items + rest.items] == [e.seq for e in history.items]


async def test_seq_has_no_gap_and_no_duplicate_under_16_concurrent_writers(
    container: Container, actor: Actor
) -> None:
    items = [await _task(container, actor, f"Item {n}") for n in range(16)]
    start = await container.history.last_seq(actor=actor)

    async def writer(n: int) -> int:
        done = 0
        for round_ in range(5):
            await container.work_items.update(
                actor=actor,
                item_id=items[n].id,
                data=WorkItemUpdate.load({"version": round_ + 1, "title": f"{n}.{round_}"}),
            )
            done += 1
        return done

    written = sum(await asyncio.gather(*(writer(n) for n in range(16))))

    events = await _events(container, actor, start)
    assert written == 80
    assert [e.seq for e in events] == list(range(start + 1, start + 81))
    for n in range(16):  # each item's own events in the order it was changed
        titles = [e.changes["title"][1] for e in events if e.record_id == items[n].id]
        assert titles == [f"{n}.{r}" for r in range(5)]


async def test_ledgers_number_their_events_apart_and_see_only_their_own(
    container: Container, actor: Actor
) -> None:
    other = await new_actor(container, "someone@example.com")
    await _task(container, actor, "Mine")
    await _task(container, other, "Theirs")
    await _task(container, actor, "Mine again")

    mine = await _events(container, actor, 0)
    theirs = await _events(container, other, 0)
    assert [e.seq for e in mine] == [1, 2]
    assert [e.seq for e in theirs] == [1]
    assert [e.changes["title"][1] for e in theirs] == ["Theirs"]


async def test_a_write_undone_inside_a_larger_transaction_takes_its_event_back(
    container: Container, actor: Actor
) -> None:
    """A write that joins a larger transaction runs in a savepoint: undone, its event goes
    with it, and the events that stay are numbered without a gap."""

    class Undone(Exception):
        pass

    async def changed_then_undone(item_id: Any) -> None:
        async with container.db.transaction():  # joins the one around it, in a savepoint
            await container.work_items.update(
                actor=actor,
                item_id=item_id,
                data=WorkItemUpdate.load({"version": 1, "title": "Undone"}),
            )
            raise Undone

    async with container.db.transaction():
        kept = await _task(container, actor, "Kept")
        with pytest.raises(Undone):
            await changed_then_undone(kept.id)
        await _task(container, actor, "Also kept")

    events = await _events(container, actor, 0)
    assert [(e.seq, e.action, e.changes["title"][1]) for e in events] == [
        (1, "create", "Kept"),
        (2, "create", "Also kept"),
    ]
    current = await container.work_items.get(actor=actor, item_id=kept.id)
    assert (current.title, current.version) == ("Kept", 1)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_postgresql_numbers_events_in_the_order_transactions_commit(
    container: Container, actor: Actor
) -> None:
    """PostgreSQL numbers a transaction's events as it commits: one that wrote first but
    committed last has the last numbers. (On SQLite one transaction writes at a time, so
    the order they write is the order they commit.)"""

    def event(title: str) -> dict[str, Any]:
        return {
            "ledger_id": actor.ledger_id,
            "record_type": "work_item",
            "record_id": uuid.uuid4(),
            "version": 1,
            "action": "create",
            "changes": {"title": [None, title]},
            "actor_client": "test-client",
            "actor_account": None,
        }

    engine = container.db.engine
    async with engine.connect() as first, engine.connect() as second:
        await first.execute(insert(Event), [event("written first")])
        await second.execute(insert(Event), [event("written second"), event("and third")])
        await second.commit()
        await first.commit()

    events = await _events(container, actor, 0)
    assert [(e.seq, e.changes["title"][1]) for e in events] == [
        (1, "written second"),
        (2, "and third"),
        (3, "written first"),
    ]


async def test_a_bulk_write_among_small_ones_numbers_its_events_in_one_run(
    container: Container, actor: Actor
) -> None:
    """A write of many events takes its numbers at once (on PostgreSQL, where small
    writes leave theirs to the database at COMMIT): both kinds at once leave no gap, and
    the bulk write's events follow one another."""
    items = [await _task(container, actor, f"Item {n}") for n in range(8)]
    start = await container.history.last_seq(actor=actor)
    bulk = [
        WorkItemCreate.load({"item_type": "task", "title": f"Bulk {n}"})
        for n in range(NUMBERED_AT_COMMIT + 36)
    ]

    async def small(n: int) -> None:
        for round_ in range(3):
            await container.work_items.update(
                actor=actor,
                item_id=items[n].id,
                data=WorkItemUpdate.load({"version": round_ + 1, "title": f"{n}.{round_}"}),
            )

    await asyncio.gather(
        container.work_items.create_many(actor=actor, items=bulk),
        *(small(n) for n in range(8)),
    )

    events = await _events(container, actor, start)
    assert [e.seq for e in events] == list(range(start + 1, start + len(bulk) + 25))
    made = [e.seq for e in events if e.action == "create"]
    assert made == list(range(made[0], made[0] + len(bulk)))
    assert [e.changes["title"][1] for e in events if e.action == "create"] == [
        data.title for data in bulk
    ]
