"""Vendor extractors and their health."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, NotFound, ValidationError
from workledger.fallback import commands
from workledger.fallback.journaling import journaled
from workledger.models import Vendor, new_id
from workledger.models.vendor import format_columns, stored_formats
from workledger.repositories.base import ConstraintViolation
from workledger.repositories.vendor import VendorRepository
from workledger.schemas.common import Actor
from workledger.schemas.vendor import (
    FormatSupport,
    TestResults,
    VendorCreate,
    VendorList,
    VendorRead,
    VendorStatus,
    VendorUpdate,
)
from workledger.services.common import Service, authored, check_version, stamp
from workledger.services.read_cache import ReadCache

RESOURCE = "vendor"


class VendorService(Service):
    def __init__(self, db: Database, *, read_cache: ReadCache) -> None:
        super().__init__(db)
        self._read_cache = read_cache

    @journaled(commands.CreateVendor)
    async def create(
        self, *, actor: Actor, data: VendorCreate, vendor_id: uuid.UUID | None = None
    ) -> VendorRead:
        """A new vendor; ``vendor_id`` chooses its (fresh, v7) id."""
        try:
            [made] = await self.create_many(actor=actor, items=[data], ids=[vendor_id])
        except ConstraintViolation:
            # Two creates of one name raced past the check: the unique index decided.
            raise _duplicate(data.name) from None
        if isinstance(made, Conflict):
            raise made
        return made

    async def create_many(
        self,
        *,
        actor: Actor,
        items: Sequence[VendorCreate],
        ids: Sequence[uuid.UUID | None] = (),
    ) -> list[VendorRead | Conflict]:
        """Many vendors in one transaction and a few statements (for imports): each is
        created as ``create`` would, or answered with the Conflict that refused it."""
        async with self.writing(actor) as session:
            repo = VendorRepository(session, ledger_id=actor.ledger_id)
            taken = {v.name for v in await repo.get_many(names=[d.name for d in items])}
            now = utcnow()
            made: list[VendorRead | Conflict] = []
            for data, given in zip_longest(items, ids):
                if data.name in taken:
                    made.append(_duplicate(data.name))
                    continue
                taken.add(data.name)
                made.append(
                    VendorRead.model_construct(  # every value is already validated
                        id=given or new_id(),
                        version=1,
                        created_at=now,
                        updated_at=now,
                        **{**dict(data), **authored(actor)},
                    )
                )
            await repo.add_rows(
                [
                    vendor_row(v, ledger_id=actor.ledger_id)
                    for v in made
                    if isinstance(v, VendorRead)
                ]
            )
            return made

    async def get(
        self, *, actor: Actor, vendor_id: uuid.UUID | None = None, name: str | None = None
    ) -> VendorRead:
        """One vendor by id or name; served from the read cache while nothing changed."""
        return await self._read_cache.get_or_load(
            ("vendor", actor.ledger_id, vendor_id, name),
            lambda: self._get(actor=actor, vendor_id=vendor_id, name=name),
        )

    async def _get(
        self, *, actor: Actor, vendor_id: uuid.UUID | None, name: str | None
    ) -> VendorRead:
        async with self.db.transaction(write=False, single_statement=True) as session:
            repo = VendorRepository(session, ledger_id=actor.ledger_id)
            return vendor_read(await _find(repo, vendor_id=vendor_id, name=name))

    async def list(self, *, actor: Actor, status: VendorStatus | None = None) -> VendorList:
        async with self.db.transaction(write=False) as session:
            repo = VendorRepository(session, ledger_id=actor.ledger_id)
            vendors = await repo.list(status=status.value if status else None)
            counts = await repo.count_by_status()
            return VendorList(
                vendors=[vendor_read(v) for v in vendors],
                operational_count=counts.get(VendorStatus.operational.value, 0),
                broken_count=counts.get(VendorStatus.broken.value, 0),
            )

    async def current(self, *, actor: Actor, record_id: uuid.UUID) -> VendorRead:
        return await self._get(actor=actor, vendor_id=record_id, name=None)

    @journaled(commands.UpdateVendor)
    async def update(
        self,
        *,
        actor: Actor,
        data: VendorUpdate,
        vendor_id: uuid.UUID | None = None,
        name: str | None = None,
    ) -> VendorRead:
        changes = data.changes()
        new_name = changes.pop("name", None)
        try:
            async with self.writing(actor) as session:
                repo = VendorRepository(session, ledger_id=actor.ledger_id)
                vendor = await _find(repo, vendor_id=vendor_id, name=name, lock=True)
                check_version(vendor, requested=data.version, resource=RESOURCE)
                new_name = new_name or vendor.name
                if new_name != vendor.name and await repo.get_by_name(new_name) is not None:
                    raise _duplicate(new_name)
                vendor.name = new_name
                _apply(vendor, changes)
                stamp(vendor, actor, at=utcnow())
                await repo.flush()
                return vendor_read(vendor)
        except ConstraintViolation:
            raise _duplicate(str(new_name)) from None


async def _find(
    repo: VendorRepository,
    *,
    vendor_id: uuid.UUID | None,
    name: str | None,
    lock: bool = False,
) -> Vendor:
    if vendor_id is None and name is None:
        raise ValidationError.single("vendor_id", "give vendor_id or name")
    if vendor_id is not None:
        vendor = await repo.get(vendor_id, lock=lock)
        if vendor is not None and name is not None and vendor.name != name:
            vendor = None
    else:
        vendor = await repo.get_by_name(str(name), lock=lock)
    if vendor is None and vendor_id is None:
        close = closest(str(name), await repo.names())
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise NotFound(RESOURCE, repr(name), hint=hint, suggestions=close)
    if vendor is None:
        raise NotFound(RESOURCE, vendor_id or repr(name))
    return vendor


def closest(name: str, names: list[str]) -> list[str]:
    """Up to three of ``names`` that look like ``name``, closest first, case aside (names
    alike but for case come together)."""
    by_folded: dict[str, list[str]] = {}
    for known in sorted(names):
        by_folded.setdefault(known.casefold(), []).append(known)
    found = difflib.get_close_matches(name.casefold(), list(by_folded), n=3, cutoff=0.6)
    return [known for match in found for known in by_folded[match]][:3]


def _duplicate(name: str) -> Conflict:
    return Conflict(f"a vendor named {name!r} already exists", field="name")


def _apply(vendor: Vendor, changes: dict[str, Any]) -> None:
    if "status" in changes:
        vendor.status = str(changes["status"])
    if "extractor_version" in changes:
        vendor.extractor_version = changes["extractor_version"]
    if "manifest_compliant" in changes:
        vendor.manifest_compliant = bool(changes["manifest_compliant"])
    if "test_results" in changes:
        results = TestResults.model_validate(changes["test_results"])
        vendor.tests_passing = results.passing
        vendor.tests_total = results.total
        vendor.tests_skipped = results.skipped
    if "format_support" in changes:
        formats = FormatSupport.model_validate(changes["format_support"])
        for column, supported in format_columns(formats.model_dump()).items():
            setattr(vendor, column, supported)


def vendor_row(vendor: VendorRead, *, ledger_id: uuid.UUID) -> dict[str, Any]:
    """The columns of a vendor as read: ``vendor_read`` the other way round."""
    tests, formats = vendor.test_results, vendor.format_support
    return {
        **vendor.model_dump(exclude={"test_results", "format_support"}),
        "ledger_id": ledger_id,
        "status": vendor.status.value,
        "tests_passing": tests.passing,
        "tests_total": tests.total,
        "tests_skipped": tests.skipped,
        **format_columns(formats.model_dump()),
    }


def vendor_read(vendor: Vendor) -> VendorRead:
    return VendorRead(
        id=vendor.id,
        name=vendor.name,
        status=VendorStatus(vendor.status),
        test_results=TestResults(
            passing=vendor.tests_passing, total=vendor.tests_total, skipped=vendor.tests_skipped
        ),
        format_support=FormatSupport(**stored_formats(vendor)),
        extractor_version=vendor.extractor_version,
        manifest_compliant=vendor.manifest_compliant,
        version=vendor.version,
        created_at=vendor.created_at,
        updated_at=vendor.updated_at,
        created_by=vendor.created_by,
        updated_by=vendor.updated_by,
        created_by_account=vendor.created_by_account,
        updated_by_account=vendor.updated_by_account,
    )
