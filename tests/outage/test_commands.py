"""The journal's stored format: every command's JSON pinned by a golden file, and a journal
written by the release before commands replayed by this one."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from workledger.container import Container
from workledger.db.types import utcnow
from workledger.fallback import commands
from workledger.fallback.commands import Command
from workledger.fallback.journal import Entry, Journal, Unreadable
from workledger.fallback.journaling import Replayer
from workledger.models import new_id
from workledger.schemas.common import Actor
from workledger.schemas.deployment import DeploymentCreate, DeploymentListQuery
from workledger.schemas.enhancement import (
    EnhancementCreate,
    EnhancementListQuery,
    EnhancementUpdate,
)
from workledger.schemas.project_configuration import ProjectConfigurationUpdate
from workledger.schemas.vendor import VendorCreate, VendorUpdate
from workledger.schemas.work_item import WorkItemCreate, WorkItemUpdate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "outage"
GOLDEN = FIXTURES / "commands.json"
LEGACY = FIXTURES / "journal_before_commands.json"

ITEM = uuid.UUID("01a24b00-0000-7000-8000-000000000001")
PARENT = uuid.UUID("01a24b00-0000-7000-8000-000000000002")
VENDOR = uuid.UUID("01a24b00-0000-7000-8000-000000000003")
DEPLOYMENT = uuid.UUID("01a24b00-0000-7000-8000-000000000004")
ENHANCEMENT = uuid.UUID("01a24b00-0000-7000-8000-000000000005")


def samples() -> list[Command]:
    """One command of every type, as a service call would make it."""
    item = WorkItemCreate.load(
        {"item_type": "task", "title": "Parse PDFs", "parent_id": str(PARENT), "tags": ["pdf"]}
    )
    return [
        commands.CreateWorkItem.of({"item_id": ITEM, "data": item}),
        commands.UpdateWorkItem.of(
            {"item_id": ITEM, "data": WorkItemUpdate.load({"version": 3, "title": "Parse"})}
        ),
        commands.ClaimWorkItem.of({"item_id": ITEM, "version": 4, "lease_seconds": 600}),
        commands.ReleaseWorkItem.of({"item_id": ITEM, "version": 5}),
        commands.DeleteWorkItem.of({"item_id": ITEM, "version": 5, "cascade": True}),
        commands.RestoreWorkItem.of({"item_id": ITEM, "version": 6}),
        commands.CreateVendor.of(
            {"vendor_id": VENDOR, "data": VendorCreate.load({"name": "Acme"})}
        ),
        commands.UpdateVendor.of(
            {"vendor_id": VENDOR, "data": VendorUpdate.load({"version": 1, "status": "broken"})}
        ),
        commands.RecordDeployment.of(
            {
                "deployment_id": DEPLOYMENT,
                "data": DeploymentCreate.load(
                    {
                        "pr_number": 7,
                        "pr_title": "Ship",
                        "deployed_at": "2026-05-01T12:00:00Z",
                        "commit_hash": "a" * 40,
                        "vendor_names": ["Acme"],
                        "work_item_ids": [str(ITEM)],
                    }
                ),
            }
        ),
        commands.CreateEnhancement.of(
            {"enhancement_id": ENHANCEMENT, "data": EnhancementCreate.load({"title": "OCR"})}
        ),
        commands.UpdateEnhancement.of(
            {
                "enhancement_id": ENHANCEMENT,
                "data": EnhancementUpdate.load({"version": 1, "priority": "high"}),
            }
        ),
        commands.DeleteEnhancement.of({"enhancement_id": ENHANCEMENT, "version": 2}),
        commands.UpdateConfiguration.of(
            {"data": ProjectConfigurationUpdate.load({"version": 1, "default_token_budget": 9000})}
        ),
    ]


def test_every_command_is_stored_as_the_golden_file_pins_it() -> None:
    golden: dict[str, Any] = json.loads(GOLDEN.read_text())
    made = samples()
    assert sorted(golden) == sorted(commands.TYPES) == sorted(c.type for c in made)
    for command in made:
        assert json.loads(command.dump()) == golden[command.type], command.type
        assert commands.load(json.dumps(golden[command.type])) == command


def test_a_claim_journaled_before_leases_replays_with_the_default_lease() -> None:
    stored = json.dumps({"type": "work_item.claim", "item_id": str(ITEM), "version": 4})
    command = commands.load(stored)
    assert isinstance(command, commands.ClaimWorkItem)
    assert (command.version, command.lease_seconds) == (4, 1800)


def test_a_create_chooses_its_id_before_it_runs_and_keeps_it() -> None:
    command = commands.CreateVendor.of({"data": VendorCreate.load({"name": "Acme"})})
    assert command.vendor_id.version == 7
    assert commands.load(command.dump()).record_id() == command.vendor_id


def test_a_restore_without_a_version_is_replayed_against_the_one_it_was_made_on() -> None:
    command = commands.RestoreWorkItem.of({"item_id": "0000abcd"})
    settled = command.settled(record_id=ITEM, version=4)
    assert json.loads(settled.dump()) == {
        "type": "work_item.restore",
        "item_id": str(ITEM),
        "version": 4,
    }


def test_a_deployment_keeps_the_time_it_was_recorded_at_when_replayed_later() -> None:
    data = DeploymentCreate.load({"pr_number": 7, "pr_title": "Ship", "commit_hash": "a" * 40})
    command = commands.RecordDeployment.of({"data": data})
    stored = commands.load(command.dump())
    assert isinstance(stored, commands.RecordDeployment)
    assert stored.data.deployed_at is not None
    assert stored.data.deployed_at == command.data.deployed_at


def test_a_legacy_deployment_that_made_no_id_names_the_one_it_found() -> None:
    """The release before kept no id for a deployment recorded twice (it made none)."""
    arguments = {"data": {"pr_number": 7, "pr_title": "Ship", "commit_hash": "a" * 40}}
    command = commands.legacy(
        "DeploymentService.record",
        arguments,
        ids=[],
        record_id=str(DEPLOYMENT),
        base_version=None,
    )
    assert command.record_id() == DEPLOYMENT


def test_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"work_item\.rename"):
        commands.load('{"type": "work_item.rename", "item_id": "x"}')


async def test_an_entry_this_release_cannot_read_becomes_a_conflict_and_holds_up_nothing(
    container: Container, actor: Actor, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    await journal.open()
    try:
        readable = commands.CreateVendor.of({"data": VendorCreate.load({"name": "Behind"})})
        for command in (
            commands.CreateVendor.of({"data": VendorCreate.load({"name": "x"})}),
            readable,
        ):
            entry = Entry(
                new_id(), actor.account_id, "agent", command, None, utcnow(), actor.ledger_id
            )
            await journal.append(entry)
        await journal.close()
        with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:  # from a later release
            conn.execute(
                "UPDATE entries SET arguments = ? WHERE seq = 1",
                ('{"type": "project_configuration.rename", "name": "x"}',),
            )
        await journal.open()
        assert await Replayer(container.db, journal, handlers=container).drain() == 2
        [(_, conflict)], total = await journal.conflicts_of(actor.ledger_id, limit=10)
        assert total == 1
        assert conflict.reason.startswith("internal_error: this release cannot read the write")
        assert conflict.change == {"type": "project_configuration.rename", "name": "x"}
    finally:
        await journal.close()
    assert (await container.vendors.get(actor=actor, name="Behind")).id == readable.vendor_id


# --- the release before commands ---------------------------------------------------------


def legacy_journal(path: Path, account_id: uuid.UUID) -> dict[str, Any]:
    """The journal file that release wrote (its schema and rows), as the given account's."""
    legacy: dict[str, Any] = json.loads(LEGACY.read_text())
    with sqlite3.connect(path) as conn:
        for statement in legacy["schema"]:
            if "sqlite_sequence" not in statement:
                conn.execute(statement)
        for row in legacy["entries"]:
            row = {**row, "account_id": str(account_id)}
            names = ", ".join(row)
            conn.execute(
                f"INSERT INTO entries ({names}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
    return legacy


async def test_a_journal_of_the_release_before_commands_replays(
    container: Container, actor: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    legacy = legacy_journal(path, actor.account_id)
    project, task = uuid.UUID(legacy["project_id"]), uuid.UUID(legacy["task_id"])
    made = uuid.UUID(legacy["entries"][0]["ids"][2:-2])
    items = container.work_items
    await items.create(
        actor=actor,
        data=WorkItemCreate.load({"item_type": "project", "title": "Legacy project"}),
        item_id=project,
    )
    await items.create(
        actor=actor,
        data=WorkItemCreate.load(
            {"item_type": "task", "title": "Legacy task", "parent_id": str(project)}
        ),
        item_id=task,
    )
    await container.configuration.get(actor=actor)

    journal = Journal(path)
    await journal.open()
    try:
        pending = await journal.oldest(100)
        assert len(pending) == 13
        assert not [entry for entry in pending if isinstance(entry, Unreadable)]
        assert await Replayer(container.db, journal, handlers=container).drain() == 13
        assert (journal.pending, journal.conflicts) == (0, 0)
    finally:
        await journal.close()

    renamed = await items.get(actor=actor, item_id=task)
    assert (renamed.title, renamed.priority.value, renamed.version) == (
        "Renamed while away",
        "high",
        3,
    )
    assert renamed.assignee == "legacy-agent"  # claimed
    restored = await items.get(actor=actor, item_id=made)  # made with the id it was given
    assert (restored.title, restored.tags, restored.parent_id) == (
        "Made while away",
        ["outage"],
        project,
    )
    assert restored.version == 3  # made, deleted, restored
    vendor = await container.vendors.get(actor=actor, name="Legacy Vendor")
    assert (vendor.status.value, vendor.version) == ("broken", 2)
    [deployment] = (
        await container.deployments.list(actor=actor, query=DeploymentListQuery.load({}))
    ).items
    assert (deployment.pr_number, deployment.work_item_ids) == (7, [task])
    enhancements = await container.enhancements.list(
        actor=actor, query=EnhancementListQuery.load({})
    )
    assert [e.title for e in enhancements.items] == ["Legacy enhancement, renamed"]
    assert (await container.configuration.get(actor=actor)).default_token_budget == 12345
