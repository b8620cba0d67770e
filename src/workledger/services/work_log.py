"""Work logs: what a person or an agent spent on a work item. Each entry is kept, added to
the item's sums (``spent``) in the same statement, and is an event in its history."""

from __future__ import annotations

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


class WorkLogService(Service):
    async def log(
        self,
        *,
        actor: Actor,
        work_item_id: ItemRef,
        data: WorkLogCreate,
        author: tuple[str, str | None] | None = None,
    ) -> WorkLogRead:
        """An entry on a live item, by the actor (a completed item too: work is often
        logged once it is done). The item's version stays as it is.

        ``author``: the (client, account) the entry is by when that is not the actor: an
        import carrying over what a file says others logged. The history still names
        the actor."""
        async with self.writing(actor) as session:
            [found] = await WorkItemRepository(session, ledger_id=actor.ledger_id).resolve(
                [work_item_id]
            )
            repo = WorkLogRepository(session, ledger_id=actor.ledger_id)
            minutes, tokens, micros = data.minutes or 0, data.tokens or 0, data.cost_micros
            version = await repo.add_to_item(
                found, minutes=minutes, tokens=tokens, cost_micros=micros
            )
            if version is None:
                raise NotFound("work item", work_item_id)
            now = utcnow()
            entry = WorkLog(
                id=new_id(),
                ledger_id=actor.ledger_id,
                work_item_id=found,
                minutes=minutes,
                tokens=tokens,
                cost_micros=micros,
                note=data.note,
                created_at=now,
                created_by=author[0] if author else actor.client,
                created_by_account=author[1] if author else actor.account,
            )
            repo.add(entry)
            logged = work_log_read(entry)
            history.record(
                session,
                ledger_id=actor.ledger_id,
                record_type="work_item",
                record_id=found,
                version=version,
                action="work_log",
                changes={"work_log": (None, logged.model_dump(exclude={"work_item_id"}))},
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
