"""What the mirror is given of this process's own writes: none lost when applying them
fails or a copy replaces the mirror meanwhile, and none left behind by a wait."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from workledger.fallback import commands
from workledger.fallback.catch_up import CatchUp, Unmirrored
from workledger.schemas.common import Actor
from workledger.schemas.vendor import VendorCreate

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACTOR = Actor(ledger_id=uuid.UUID(int=1), client="agent", account_id=uuid.UUID(int=1))


def write(n: int) -> Unmirrored:
    command = commands.CreateVendor.of({"data": VendorCreate.load({"name": f"v{n}"})})
    return Unmirrored(T0 + timedelta(seconds=n), command, ACTOR, command.record_id())


class Mirror:
    """What a catch-up applied, in order; it fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.applied: list[int] = []
        self.failing = False
        self.gate: asyncio.Event | None = None

    async def apply(self, writes: list[Unmirrored]) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise OSError("disk full")
        self.applied += [int(w.command.data.name[1:]) for w in writes]  # type: ignore[attr-defined]


async def test_writes_a_failed_catch_up_did_not_apply_are_applied_next_time() -> None:
    mirror = Mirror()
    catch_up = CatchUp(mirror.apply)
    catch_up.remember(write(1))
    mirror.failing = True
    assert not await catch_up.done(within=1)
    mirror.failing = False
    assert await catch_up.done(within=1)
    assert mirror.applied == [1]
    assert await catch_up.done(within=1)  # nothing more to do
    assert mirror.applied == [1]


async def test_writes_made_during_a_catch_up_are_applied_before_the_wait_ends() -> None:
    mirror = Mirror()
    catch_up = CatchUp(mirror.apply)
    catch_up.remember(write(1))
    mirror.gate = asyncio.Event()
    waiting = asyncio.create_task(catch_up.done(within=5))
    await asyncio.sleep(0.01)
    catch_up.remember(write(2))
    mirror.gate.set()
    assert await waiting
    assert mirror.applied == [1, 2]


async def test_a_copy_that_replaced_the_mirror_meanwhile_makes_its_later_writes_apply_again() -> (
    None
):
    mirror = Mirror()
    catch_up = CatchUp(mirror.apply)
    catch_up.remember(write(1))
    catch_up.remember(write(5))
    mirror.gate = asyncio.Event()
    waiting = asyncio.create_task(catch_up.done(within=5))
    await asyncio.sleep(0.01)
    catch_up.copied(since=T0 + timedelta(seconds=3))  # its snapshot holds write 1, not 5
    mirror.gate.set()
    assert await waiting
    assert mirror.applied == [1, 5, 5]  # applied again over the copy (the mirror skips held)


async def test_a_wait_gives_up_in_time_and_the_catch_up_goes_on() -> None:
    mirror = Mirror()
    catch_up = CatchUp(mirror.apply)
    catch_up.remember(write(1))
    mirror.gate = asyncio.Event()
    assert not await catch_up.done(within=0.05)
    mirror.gate.set()
    assert await catch_up.done(within=1)
    assert mirror.applied == [1]
    await catch_up.close()
