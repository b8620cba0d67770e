"""Vendors: health records, unique names per account, locking, validation and isolation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from workledger.container import Container
from workledger.errors import Conflict, NotFound, ValidationError, VersionConflict
from workledger.schemas.common import Actor
from workledger.schemas.vendor import VendorCreate, VendorRead, VendorStatus, VendorUpdate


async def create_raw(container: Container, actor: Actor, raw: dict[str, Any]) -> VendorRead:
    return await container.vendors.create(actor=actor, data=VendorCreate.load(raw))


async def create_vendor(container: Container, actor: Actor, name: str, **fields: Any) -> VendorRead:
    return await create_raw(container, actor, {"name": name, **fields})


async def update_vendor(
    container: Container, actor: Actor, vendor: VendorRead, **fields: Any
) -> VendorRead:
    return await container.vendors.update(
        actor=actor,
        vendor_id=vendor.id,
        data=VendorUpdate.load({"version": vendor.version, **fields}),
    )


async def vendor_names(container: Container, actor: Actor) -> list[str]:
    listing = await container.vendors.list(actor=actor)
    return [v.name for v in listing.vendors]


def fields_of(error: ValidationError) -> list[str]:
    return [e.field for e in error.errors]


# --- reading ------------------------------------------------------------------------------


async def test_one_of_45_vendors_by_name_returns_its_full_health(
    container: Container, actor: Actor
) -> None:
    for n in range(45):
        await create_vendor(
            container,
            actor,
            f"vendor-{n:02d}",
            status="broken" if n % 5 == 0 else "operational",
            test_results={"passing": n, "total": n + 10, "skipped": n % 3},
            format_support={"excel": n % 2 == 0, "csv": True, "pdf": n % 3 == 0, "ocr": False},
            extractor_version=f"{n}.0.1",
            manifest_compliant=n % 4 == 0,
        )

    vendor = await container.vendors.get(actor=actor, name="vendor-15")

    assert vendor.name == "vendor-15"
    assert vendor.status == VendorStatus.broken
    assert vendor.test_results.model_dump() == {"passing": 15, "total": 25, "skipped": 0}
    assert vendor.format_support.model_dump() == {
        "excel": False,
        "csv": True,
        "pdf": True,
        "ocr": False,
    }
    assert vendor.extractor_version == "15.0.1"
    assert vendor.manifest_compliant is False
    other = await container.vendors.get(actor=actor, name="vendor-16")
    assert (other.status, other.manifest_compliant) == (VendorStatus.operational, True)
    assert other.test_results.model_dump() == {"passing": 16, "total": 26, "skipped": 1}


async def test_a_vendor_by_id_matches_the_created_record(
    container: Container, actor: Actor
) -> None:
    created = await create_vendor(container, actor, "acme", extractor_version="2.1")

    found = await container.vendors.get(actor=actor, vendor_id=created.id)

    assert found == created
    assert (found.version, found.created_by, found.updated_by) == (1, actor.client, actor.client)


async def test_a_new_vendor_gets_the_documented_defaults(
    container: Container, actor: Actor
) -> None:
    vendor = await create_vendor(container, actor, "plain")

    assert vendor.status == VendorStatus.operational
    assert vendor.test_results.model_dump() == {"passing": 0, "total": 0, "skipped": 0}
    assert not any(vendor.format_support.model_dump().values())
    assert (vendor.extractor_version, vendor.manifest_compliant) == (None, False)


async def test_unknown_vendor_id_and_name_are_not_found(container: Container, actor: Actor) -> None:
    await create_vendor(container, actor, "real")

    with pytest.raises(NotFound):
        await container.vendors.get(actor=actor, vendor_id=uuid.uuid4())
    with pytest.raises(NotFound):
        await container.vendors.get(actor=actor, name="imaginary")


async def test_list_counts_every_status_and_filters_by_one(
    container: Container, actor: Actor
) -> None:
    for name in ("delta", "alpha", "charlie"):
        await create_vendor(container, actor, name)
    for name in ("echo", "bravo"):
        await create_vendor(container, actor, name, status="broken")

    everything = await container.vendors.list(actor=actor)
    broken = await container.vendors.list(actor=actor, status=VendorStatus.broken)

    assert [v.name for v in everything.vendors] == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert (everything.operational_count, everything.broken_count) == (3, 2)
    assert [v.name for v in broken.vendors] == ["bravo", "echo"]
    assert (broken.operational_count, broken.broken_count) == (3, 2)


# --- unique names -------------------------------------------------------------------------


async def test_a_duplicate_name_in_one_account_is_a_conflict(
    container: Container, actor: Actor
) -> None:
    await create_vendor(container, actor, "acme")

    with pytest.raises(Conflict) as caught:
        await create_vendor(container, actor, "acme", status="broken")

    assert caught.value.to_dict()["field"] == "name"
    listing = await container.vendors.list(actor=actor)
    assert [(v.name, v.status) for v in listing.vendors] == [("acme", VendorStatus.operational)]


async def test_the_same_name_in_another_account_is_a_separate_vendor(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    mine = await create_vendor(container, actor, "acme", extractor_version="1.0")
    theirs = await create_vendor(container, other_actor, "acme", extractor_version="9.9")

    assert mine.id != theirs.id
    assert (await container.vendors.get(actor=actor, name="acme")).extractor_version == "1.0"
    assert (await container.vendors.get(actor=other_actor, name="acme")).extractor_version == "9.9"


async def test_another_accounts_vendor_behaves_as_missing(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    vendor = await create_vendor(container, actor, "private", status="broken")

    with pytest.raises(NotFound):
        await container.vendors.get(actor=other_actor, vendor_id=vendor.id)
    with pytest.raises(NotFound):
        await container.vendors.get(actor=other_actor, name="private")
    with pytest.raises(NotFound):
        await update_vendor(container, other_actor, vendor, status="operational")
    listing = await container.vendors.list(actor=other_actor)
    assert (listing.vendors, listing.operational_count, listing.broken_count) == ([], 0, 0)
    assert (await container.vendors.get(actor=actor, vendor_id=vendor.id)).status == "broken"


# --- updates ------------------------------------------------------------------------------


async def test_update_applies_only_the_fields_sent_and_bumps_the_version(
    container: Container, actor: Actor
) -> None:
    vendor = await create_vendor(
        container, actor, "acme", extractor_version="1.0", format_support={"pdf": True}
    )
    agent = actor.as_client("claude-code")

    updated = await update_vendor(
        container, agent, vendor, status="broken", test_results={"passing": 8, "total": 10}
    )

    assert (updated.version, updated.status, updated.updated_by) == (2, "broken", "claude-code")
    assert updated.test_results.model_dump() == {"passing": 8, "total": 10, "skipped": 0}
    assert (updated.extractor_version, updated.format_support.pdf) == ("1.0", True)
    assert updated.created_by == actor.client
    assert await container.vendors.get(actor=actor, vendor_id=vendor.id) == updated


async def test_update_by_name_finds_the_vendor(container: Container, actor: Actor) -> None:
    await create_vendor(container, actor, "acme")

    updated = await container.vendors.update(
        actor=actor, name="acme", data=VendorUpdate.load({"version": 1, "manifest_compliant": True})
    )

    assert (updated.manifest_compliant, updated.version) == (True, 2)


async def test_a_stale_version_is_refused_with_details_and_changes_nothing(
    container: Container, actor: Actor
) -> None:
    vendor = await create_vendor(container, actor, "acme")
    desktop = actor.as_client("claude-desktop")
    winner = await update_vendor(container, desktop, vendor, extractor_version="2.0")

    with pytest.raises(VersionConflict) as caught:
        await update_vendor(container, actor, vendor, status="broken")

    details = caught.value.to_dict()
    assert details["error"] == "version_conflict"
    assert (details["current_version"], details["requested_version"]) == (2, 1)
    assert details["updated_by"] == "claude-desktop"
    assert details["updated_at"] == winner.updated_at.isoformat()
    assert await container.vendors.get(actor=actor, vendor_id=vendor.id) == winner


async def test_a_rename_keeps_the_record_and_frees_the_old_name(
    container: Container, actor: Actor
) -> None:
    vendor = await create_vendor(container, actor, "old-name")

    renamed = await update_vendor(container, actor, vendor, name="new-name")

    assert renamed.id == vendor.id
    assert await vendor_names(container, actor) == ["new-name"]
    with pytest.raises(NotFound):
        await container.vendors.get(actor=actor, name="old-name")
    await create_vendor(container, actor, "old-name")


async def test_renaming_onto_an_existing_name_is_a_conflict(
    container: Container, actor: Actor
) -> None:
    await create_vendor(container, actor, "taken")
    vendor = await create_vendor(container, actor, "mine")

    with pytest.raises(Conflict) as caught:
        await update_vendor(container, actor, vendor, name="taken", status="broken")

    assert caught.value.to_dict()["field"] == "name"
    unchanged = await container.vendors.get(actor=actor, vendor_id=vendor.id)
    assert (unchanged.name, unchanged.status, unchanged.version) == ("mine", "operational", 1)
    assert await vendor_names(container, actor) == ["mine", "taken"]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"status": "down"}, "status"),
        ({"test_results": {"passing": 8, "total": 10, "skipped": 3}}, "test_results"),
        ({"test_results": {"passing": -1, "total": 10}}, "test_results.passing"),
        ({"test_results": {"total": -1}}, "test_results.total"),
        ({"test_results": {"skipped": -2, "total": 5}}, "test_results.skipped"),
        ({"extractor_version": "v" * 51}, "extractor_version"),
        ({"extractor_version": ""}, "extractor_version"),
        ({"colour": "red"}, "colour"),
        ({"format_support": {"excel": True, "docx": True}}, "format_support.docx"),
    ],
)
async def test_bad_vendor_input_names_the_field_and_stores_nothing(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await create_raw(container, actor, {"name": "acme", **fields})

    assert field in fields_of(caught.value)
    assert caught.value.to_dict()["error"] == "validation_error"
    assert await vendor_names(container, actor) == []


async def test_boundary_values_are_accepted(container: Container, actor: Actor) -> None:
    vendor = await create_vendor(
        container,
        actor,
        "n" * 100,
        extractor_version="v" * 50,
        test_results={"passing": 7, "total": 10, "skipped": 3},
    )

    assert (len(vendor.name), len(vendor.extractor_version or "")) == (100, 50)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": None}, "status"),
        ({"name": None}, "name"),
        ({"test_results": {"passing": 11, "total": 10}}, "test_results"),
        ({"format_support": {"fax": True}}, "format_support.fax"),
        ({"motto": "fast"}, "motto"),
    ],
)
async def test_a_bad_update_is_refused_and_the_vendor_is_unchanged(
    container: Container, actor: Actor, fields: dict[str, Any], field: str
) -> None:
    vendor = await create_vendor(container, actor, "acme")

    with pytest.raises(ValidationError) as caught:
        await update_vendor(container, actor, vendor, **fields)

    assert field in fields_of(caught.value)
    assert await container.vendors.get(actor=actor, vendor_id=vendor.id) == vendor


async def test_an_update_without_a_version_is_refused(container: Container) -> None:
    with pytest.raises(ValidationError) as caught:
        VendorUpdate.load({"status": "broken"})

    assert "version" in fields_of(caught.value)


async def test_a_vendor_name_is_found_whatever_its_case_and_a_miss_suggests_the_closest(
    container: Container, actor: Actor
) -> None:
    for name in ("Globex", "Initech", "Umbrella Corp"):
        await container.vendors.create(actor=actor, data=VendorCreate.load({"name": name}))

    assert (await container.vendors.get(actor=actor, name="globex")).name == "Globex"
    assert (await container.vendors.get(actor=actor, name="INITECH")).name == "Initech"
    with pytest.raises(NotFound) as missed:
        await container.vendors.get(actor=actor, name="Globx")
    assert str(missed.value) == "vendor 'Globx' not found; did you mean 'Globex'?"
    assert missed.value.details["suggestions"] == ["Globex"]
    with pytest.raises(NotFound) as nothing_like:
        await container.vendors.get(actor=actor, name="Hooli")
    assert str(nothing_like.value) == "vendor 'Hooli' not found"


async def test_two_names_alike_but_for_case_are_each_found_only_exactly(
    container: Container, actor: Actor
) -> None:
    for name in ("Acme", "ACME"):
        await container.vendors.create(actor=actor, data=VendorCreate.load({"name": name}))

    assert (await container.vendors.get(actor=actor, name="ACME")).name == "ACME"
    with pytest.raises(NotFound) as ambiguous:
        await container.vendors.get(actor=actor, name="acme")
    assert str(ambiguous.value) == "vendor 'acme' not found; did you mean 'ACME' or 'Acme'?"
