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

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from workledger.errors import StorageUnavailable
from workledger.fallback.catch_up import Apply, CatchUp, Unmirrored
from workledger.fallback.provenance import Source

if TYPE_CHECKING:  # a SQLite ledger never loads the outage machinery
    from workledger.db.unit_of_work import Database
    from workledger.fallback.journal import Journal
    from workledger.fallback.mirror import Mirror

log = logging.getLogger(__name__)

# How long a journaled write waits for the mirror to take this process's own latest
# writes before it is refused (its version must be the true one), and how long a read
# waits before it is served what the mirror has (it says how old that is anyway).
CATCH_UP_WAIT_SECONDS = 2.0
CATCH_UP_READ_WAIT_SECONDS = 0.5


class ReadOnlyLayers(Protocol):
    """Layers 3 and 4 (the status file from git, or on disk), as a database to read."""

    async def database(self) -> tuple[Database, Source, datetime] | None: ...

    async def close(self) -> None: ...

    @property
    def serving(self) -> Source | None: ...


@dataclass(frozen=True)
class FallbackLayer:
    """A fallback layer that can answer a read now, and when its data last matched."""

    db: Database
    source: Source
    as_of: datetime | None


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
        # Units of work the database answered: one waiting for a connection tells by it
        # a busy pool (the database answers others meanwhile) from a database away.
        self.answers = 0

    def open(
        self,
        *,
        mirror: Mirror,
        journal: Journal,
        status: ReadOnlyLayers | None,
        catch_up: Apply,
    ) -> None:
        """Fall back on ``mirror`` (then ``status``) and journal to ``journal``; ``catch_up``
        applies this process's unmirrored writes to the mirror. Once, at start."""
        from workledger.db.unit_of_work import Database

        if self._layers is not None:
            raise RuntimeError("the outage layers are open already")
        on_mirror = Database(mirror.engine, layer=Source.MIRROR)
        self._layers = _Layers(mirror, on_mirror, journal, status, CatchUp(catch_up))

    # --- the state -------------------------------------------------------------------------

    @property
    def away(self) -> bool:
        """The database is held to be away: since a failure, until confirmed back."""
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
        """The database is away, or journaled writes still wait for it."""
        journal = self.journal
        return self._away or (journal is not None and journal.pending > 0)

    @property
    def mirror_serves(self) -> bool:
        return self._layers is not None and self._layers.mirror.fresh()

    @property
    def writes_go_to_journal(self) -> bool:
        """Whether a write made now goes to the journal (and the mirror)."""
        return self.degraded and self.mirror_serves

    @property
    def serving(self) -> Source:
        """The layer reads come from now."""
        if not self.degraded or self._layers is None:
            return Source.DATABASE
        if self.mirror_serves:
            return Source.MIRROR
        status = self._layers.status
        return (status.serving if status is not None else None) or Source.DATABASE

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
        self.answers += 1
        if self._layers is None:
            self.came_back()

    def came_back(self) -> None:
        """The database answers again, confirmed."""
        if self._away:
            self._away = False
            log.warning("the %s database is back", self._name)

    # --- reads -----------------------------------------------------------------------------

    def mirror_layer(self) -> FallbackLayer:
        layers = self._opened()
        return FallbackLayer(layers.on_mirror, Source.MIRROR, layers.mirror.synced_at)

    async def read_layer(self) -> FallbackLayer | None:
        """The first layer after the database that can answer a read now, if any."""
        layers = self._layers
        if layers is None:
            return None
        if layers.mirror.fresh():
            # What this process wrote a moment ago is read back, not a stale 404.
            await layers.catch_up.done(within=CATCH_UP_READ_WAIT_SECONDS)
            return self.mirror_layer()
        if layers.status is not None:
            found = await layers.status.database()
            if found is not None:
                return FallbackLayer(*found)
        return None

    async def serves_reads(self) -> bool:
        """Whether a fallback layer can answer a read now (the mirror is only looked at:
        the read itself waits for its catch-up, not this question too)."""
        layers = self._layers
        if layers is None:
            return False
        return layers.mirror.fresh() or await self.read_layer() is not None

    # --- writes ----------------------------------------------------------------------------

    def remember(self, write: Unmirrored) -> None:
        """A write the database took: the mirror gets it before it serves, unless a copy
        taken after it does."""
        if self._layers is not None:
            self._layers.catch_up.remember(write)

    def copied(self, since: datetime) -> None:
        """The mirror copied the database as of ``since``."""
        if self._layers is not None:
            self._layers.catch_up.copied(since)

    async def mirror_caught_up(self) -> None:
        """Bring the mirror up to this process's own writes before a journaled write is
        checked against it; storage_unavailable after CATCH_UP_WAIT_SECONDS."""
        layers = self._opened()
        if not await layers.catch_up.done(within=CATCH_UP_WAIT_SECONDS):
            raise StorageUnavailable(
                "the local copy is still catching up with the database; retry shortly"
            )

    async def close(self) -> None:
        layers, self._layers = self._layers, None
        if layers is None:
            return
        await layers.catch_up.close()
        await layers.mirror.dispose()  # the engine the mirror's Database uses
        await layers.journal.close()
        if layers.status is not None:
            await layers.status.close()

    def _opened(self) -> _Layers:
        if self._layers is None:
            raise RuntimeError("the outage layers are not open")
        return self._layers
