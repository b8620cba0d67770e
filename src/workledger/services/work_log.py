"""Work logs: what a person or an agent spent on a work item. Each entry is kept, added to
the item's sums (``spent``) in the same statement, and is an event in its history."""

from __future__ import annotations

from collections.abc import Sequence

from workledger.db.types import utcnow
from workledger.errors import NotFound
from workledger.models import WorkLog, new_id
from workledger.repositories import history
from workledger.repositories.work_item import WorkItemRepository
from workledger.repositories.work_log import WorkLogRepository
from workledger.schemas.common import Actor
from workledger.schemas.spend import MICROS
from workledger.schemas.work_log import WorkLogCreate, WorkLogRead
from workledger.services.common import Service
from workledger.services.work_item.read_model import ItemRef

# Who an entry is by when that is not the actor: (client, account).
Author = tuple[str, str | None]


class WorkLogService(Service):
    async def log(
        self,
        *,
        actor: Actor,
        work_item_id: ItemRef,
        data: WorkLogCreate,
        author: Author | None = None,
    ) -> WorkLogRead:
        """An entry on a live item, by the actor (a completed item too: work is often
        logged once it is done). The item's version stays as it is.

        ``author``: who the entry is by when that is not the actor: an import carrying
        over what a file says others logged. The history still names the actor."""
        [logged] = await self.log_many(
            actor=actor, work_item_id=work_item_id, entries=[(data, author)]
        )
        return logged

    async def log_many(
        self,
        *,
        actor: Actor,
        work_item_id: ItemRef,
        entries: Sequence[tuple[WorkLogCreate, Author | None]],
    ) -> list[WorkLogRead]:
        """Entries on one live item, as ``log`` makes each, in one transaction: the
        item's sums raised once by all of them."""
        async with self.writing(actor) as session:
            [found] = await WorkItemRepository(session, ledger_id=actor.ledger_id).resolve(
                [work_item_id]
            )
            repo = WorkLogRepository(session, ledger_id=actor.ledger_id)
            version = await repo.add_to_item(
                found,
                minutes=sum(data.minutes or 0 for data, _ in entries),
                tokens=sum(data.tokens or 0 for data, _ in entries),
                cost_micros=sum(data.cost_micros for data, _ in entries),
            )
            if version is None:
                raise NotFound("work item", work_item_id)
            now = utcnow()
            logged = []
            for data, author in entries:
                entry = WorkLog(
                    id=new_id(),
                    ledger_id=actor.ledger_id,
                    work_item_id=found,
                    minutes=data.minutes or 0,
                    tokens=data.tokens or 0,
                    cost_micros=data.cost_micros,
                    note=data.note,
                    created_at=now,
                    created_by=author[0] if author else actor.client,
                    created_by_account=author[1] if author else actor.account,
                )
                repo.add(entry)
                logged.append(work_log_read(entry))
                history.record(
                    session,
                    ledger_id=actor.ledger_id,
                    record_type="work_item",
                    record_id=found,
                    version=version,
                    action="work_log",
                    changes={"work_log": (None, logged[-1].model_dump(exclude={"work_item_id"}))},
                    client=actor.client,
                    account=actor.account,
                    at=now,
                    apart=True,
                )
            await repo.flush()
            return logged


def work_log_read(entry: WorkLog) -> WorkLogRead:
    return WorkLogRead(
        id=entry.id,
        work_item_id=entry.work_item_id,
        minutes=entry.minutes,
        tokens=entry.tokens,
        cost_usd=entry.cost_micros / MICROS,
        note=entry.note,
        author=entry.created_by,
        author_account=entry.created_by_account,
        created_at=entry.created_at,
    )
