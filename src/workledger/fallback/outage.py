"""The outage state: whether the database answers, which layer serves a read while it
does not, and where a write goes.

Reads fall back through the mirror (while its last copy is younger than the TTL), then
the status file from git history or from disk. A write goes to the database; while the
database is away and the mirror serves, to the journal (and the mirror); otherwise it is
refused. Nothing outside this package changes this state: the unit of work reports what
it met (``went_away``, ``answered``), the composition root opens the layers once.

Going away takes one failure; coming back takes a confirmation. With layers, only the
background loop says the database is back (``came_back``), after a new connection and a
statement succeeded: a pooled connection that outlived the outage (a server shutting
down lets its open sessions finish) answering one request is no proof, and letting it
flip the state would make answers alternate between the database and the status file,
and take writes that later reads do not show."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from workledger.errors import StorageUnavailable
from workledger.fallback.source import Source

if TYPE_CHECKING:  # a SQLite ledger never loads the outage machinery
    from workledger.db.unit_of_work import Database
    from workledger.fallback.commands import Command
    from workledger.fallback.journal import Journal
    from workledger.fallback.mirror import Mirror
    from workledger.schemas.common import Actor

log = logging.getLogger(__name__)

# How long a journaled write (or a read) waits for the mirror to take this process's own
# latest writes before it is refused (a write) or served what the mirror has (a read).
CATCH_UP_WAIT_SECONDS = 2.0
# Writes remembered for the mirror between two copies, at most.
MAX_UNMIRRORED = 10_000


class ReadOnlyLayers(Protocol):
    """Layers 3 and 4 (the status file from git, or on disk), as a database to read."""

    async def database(self) -> tuple[Database, Source, datetime] | None: ...

    async def close(self) -> None: ...

    @property
    def serving(self) -> Source | None: ...


@dataclass(frozen=True)
class Layer:
    """A fallback layer that can answer a read now, and when its data last matched."""

    db: Database
    source: Source
    as_of: datetime | None


@dataclass(frozen=True)
class Unmirrored:
    """A write the database took that the mirror may not hold yet."""

    at: datetime  # when it committed
    command: Command
    actor: Actor
    record_id: uuid.UUID | None


CatchUp = Callable[[list[Unmirrored]], Awaitable[None]]


@dataclass(frozen=True)
class _Layers:
    mirror: Mirror
    on_mirror: Database
    journal: Journal
    status: ReadOnlyLayers | None
    catch_up: CatchUp


class Outage:
    def __init__(self, name: str) -> None:
        """``name``: the database's kind, for the log."""
        self._name = name
        self._away = False
        self._layers: _Layers | None = None
        self._unmirrored: list[Unmirrored] = []
        self._catching_up: asyncio.Task[None] | None = None

    def open(
        self,
        *,
        mirror: Mirror,
        journal: Journal,
        status: ReadOnlyLayers | None,
        catch_up: CatchUp,
    ) -> None:
        """Fall back on ``mirror`` (then ``status``) and journal to ``journal``; ``catch_up``
        applies this process's unmirrored writes to the mirror. Once, at start."""
        from workledger.db.unit_of_work import Database

        if self._layers is not None:
            raise RuntimeError("the outage layers are open already")
        on_mirror = Database(mirror.engine, layer="cache")
        self._layers = _Layers(mirror, on_mirror, journal, status, catch_up)

    # --- the state -------------------------------------------------------------------------

    @property
    def away(self) -> bool:
        """The database was away at the last try."""
        return self._away

    @property
    def has_layers(self) -> bool:
        return self._layers is not None

    @property
    def mirror(self) -> Mirror | None:
        return None if self._layers is None else self._layers.mirror

    @property
    def journal(self) -> Journal | None:
        return None if self._layers is None else self._layers.journal

    @property
    def degraded(self) -> bool:
        """The database was away at the last try, or journaled writes still wait for it."""
        journal = self.journal
        return self._away or (journal is not None and journal.pending > 0)

    @property
    def mirror_serves(self) -> bool:
        return self._layers is not None and self._layers.mirror.fresh()

    @property
    def journals(self) -> bool:
        """Whether a write made now goes to the journal (and the mirror)."""
        return self.degraded and self.mirror_serves

    @property
    def serving(self) -> Source:
        """The layer reads come from now."""
        if not self.degraded or self._layers is None:
            return "database"
        if self.mirror_serves:
            return "cache"
        status = self._layers.status
        return (status.serving if status is not None else None) or "database"

    def went_away(self, exc: BaseException) -> None:
        if not self._away:
            self._away = True
            log.warning(
                "the %s database is away (%s): answering storage_unavailable until it is back",
                self._name,
                type(exc).__name__,
            )

    @property
    def refuses_writes(self) -> bool:
        """A write to the database now is refused without trying: the database is away,
        and only a confirmation (``came_back``) ends that."""
        return self._away and self._layers is not None

    def answered(self) -> None:
        """A unit of work was answered by the database. Without layers nothing else could
        tell that it is back; with them, the background loop confirms it."""
        if self._layers is None:
            self.came_back()

    def came_back(self) -> None:
        """The database answers again, confirmed."""
        if self._away:
            self._away = False
            log.warning("the %s database is back", self._name)

    # --- reads -----------------------------------------------------------------------------

    def mirror_layer(self) -> Layer:
        layers = self._opened()
        return Layer(layers.on_mirror, "cache", layers.mirror.synced_at)

    async def read_layer(self) -> Layer | None:
        """The first layer after the database that can answer a read now, if any."""
        layers = self._layers
        if layers is None:
            return None
        if layers.mirror.fresh():
            # What this process wrote a moment ago is read back, not a stale 404.
            await self.mirror_caught_up(refuse_when_late=False)
            return self.mirror_layer()
        if layers.status is not None:
            found = await layers.status.database()
            if found is not None:
                return Layer(*found)
        return None

    # --- writes ----------------------------------------------------------------------------

    def remember(self, write: Unmirrored) -> None:
        """A write the database took: the mirror gets it before it serves, unless its next
        copy holds it."""
        if len(self._unmirrored) >= MAX_UNMIRRORED:
            del self._unmirrored[0]  # the copy is long overdue: the oldest is most likely in it
        self._unmirrored.append(write)

    def copied(self, since: datetime) -> None:
        """The mirror copied the database as of ``since``: writes before it are in it."""
        self._unmirrored = [w for w in self._unmirrored if w.at >= since]

    async def mirror_caught_up(self, *, refuse_when_late: bool = True) -> None:
        """Bring the mirror up to this process's own writes, on a task of its own. A
        journaled write waits for it (its version must be the true one) and is refused as
        storage_unavailable after CATCH_UP_WAIT_SECONDS; a read is then served what the
        mirror has (it says how old that is anyway)."""
        layers = self._layers
        if layers is None:
            return
        if self._unmirrored and (self._catching_up is None or self._catching_up.done()):
            writes, self._unmirrored = self._unmirrored, []
            self._catching_up = asyncio.create_task(
                _catch_up(layers.catch_up, writes), name="workledger-catch-up"
            )
        if self._catching_up is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._catching_up), CATCH_UP_WAIT_SECONDS)
        except TimeoutError:
            if refuse_when_late:
                raise StorageUnavailable(
                    "the local copy is still catching up with the database; retry shortly"
                ) from None

    async def close(self) -> None:
        layers, self._layers = self._layers, None
        if layers is None:
            return
        await layers.mirror.dispose()  # the engine the mirror's Database uses
        await layers.journal.close()
        if layers.status is not None:
            await layers.status.close()

    def _opened(self) -> _Layers:
        if self._layers is None:
            raise RuntimeError("the outage layers are not open")
        return self._layers


async def _catch_up(catch_up: CatchUp, writes: list[Unmirrored]) -> None:
    try:
        await catch_up(writes)
    except Exception:  # the mirror is a cache: it serves what it has
        log.exception("the mirror could not catch up with this process's writes")
