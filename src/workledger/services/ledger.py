"""Ledgers a team shares: who may do what where, resolved once per request.

``actor`` is the one place a request's (account, ledger, role) is worked out: the REST
API, MCP (HTTP and stdio), the web pages and the command line all call it, and services
take the ``Actor`` it gives as given."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import Conflict, NotFound, StorageUnavailable
from workledger.fallback.provenance import served_by_fallback
from workledger.models import Account, Ledger, Membership
from workledger.repositories.account import AccountRepository
from workledger.repositories.base import ConstraintViolation
from workledger.repositories.ledger import LedgerRepository
from workledger.schemas.account import Principal
from workledger.schemas.common import Actor, Role, weaker
from workledger.schemas.ledger import LedgerCreate, LedgerRead, MemberRead
from workledger.services.common import Service
from workledger.services.read_cache import ReadCache

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


# A ledger is named by its slug (up to 40 characters) or its id: longer is none.
LEDGER_REF_MAX = 100


def slug_for(email: str) -> str:
    """A slug from an email's local part: ``ada.l@x.org`` → ``ada-l``."""
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@", 1)[0].lower()).strip("-")[:36]
    return base or "ledger"


async def first_ledger(session: AsyncSession, account: Account) -> Ledger:
    """The account's own ledger, made with it: it owns it, and it is its default. Its
    slug is the email's local part, numbered when taken (also by a sign-up racing this
    one: each try is a savepoint)."""
    repo = LedgerRepository(session)
    base = slug_for(account.email)
    now = utcnow()
    for n in itertools.count(1):
        slug = base if n == 1 else f"{base}-{n}"
        if await repo.slug_taken(slug):
            continue
        try:
            async with session.begin_nested():
                ledger = await repo.open(slug=slug, name=account.email, owner=account.id, at=now)
        except ConstraintViolation:
            continue
        account.default_ledger_id = ledger.id
        await repo.flush()
        return ledger
    raise AssertionError("unreachable: the slugs to try never end")


class LedgerService(Service):
    def __init__(self, db: Database, *, read_cache: ReadCache) -> None:
        super().__init__(db)
        self._read_cache = read_cache

    async def actor(self, principal: Principal, *, ledger: str | None, client: str) -> Actor:
        """Who acts where: ``principal`` in ``ledger`` (a slug or an id; ``None``: the
        token's ledger, else the account's default), with the lower of its membership's
        and its token's role. A ledger the principal may not see is not found, exactly
        as one that does not exist. Cached until a ledger, membership, account or token
        changes (their triggers move the credentials token)."""
        if ledger is not None and len(ledger) > LEDGER_REF_MAX:  # neither a slug nor an id
            raise NotFound("ledger", ledger[:LEDGER_REF_MAX] + "…")
        found = await self._read_cache.get_or_load(
            ("ledger access", principal, ledger),
            lambda: self._resolve(principal, ledger),
            scope="credentials",
        )
        return found.as_client(client)

    async def _resolve(self, principal: Principal, ref: str | None) -> Actor:
        missing = NotFound("ledger", ref or "default")
        async with self.db.transaction(write=False) as session:
            repo = LedgerRepository(session)
            wanted = principal.token_ledger_id or principal.default_ledger_id
            if ref is not None:
                found = await repo.find(ref)
            elif wanted is not None:
                found = await repo.get(wanted)
            else:
                found = None
            role = None if found is None else await repo.role(found.id, principal.account_id)
            if ref is None and role is None and principal.token_ledger_id is None:
                # The account left its default ledger: its oldest ledger instead.
                mine = await repo.of_account(principal.account_id)
                found, role = mine[0] if mine else (None, None)
            if found is None or role is None or principal.token_ledger_id not in (None, found.id):
                if served_by_fallback(session):  # a copy cannot tell "not yours" for sure
                    raise StorageUnavailable("the database is unavailable; retry shortly")
                raise missing
            return Actor(
                ledger_id=found.id,
                account_id=principal.account_id,
                account=principal.email or None,
                role=weaker(role, principal.token_role),
                ledger=found.slug,
                bound=principal.token_ledger_id is not None,
            )

    async def of(self, principal: Principal) -> list[LedgerRead]:
        """The principal's ledgers with its role in each (a bound token: its own), as
        every web page's navigation shows them: cached as ``actor`` is."""
        found = await self._read_cache.get_or_load(
            ("ledgers of", principal), lambda: self._of(principal), scope="credentials"
        )
        return list(found)

    async def _of(self, principal: Principal) -> tuple[LedgerRead, ...]:
        async with self.db.transaction(write=False) as session:
            rows = await LedgerRepository(session).of_account(principal.account_id)
            if principal.token_ledger_id is not None:
                rows = [row for row in rows if row[0].id == principal.token_ledger_id]
            return tuple(_read(ledger, weaker(role, principal.token_role)) for ledger, role in rows)

    async def get(self, actor: Actor) -> LedgerRead:
        async with self.db.transaction(write=False) as session:
            ledger = await LedgerRepository(session).get(actor.ledger_id)
            if ledger is None:
                raise NotFound("ledger", actor.ledger or actor.ledger_id)
            return _read(ledger, actor.role)

    async def create(self, principal: Principal, data: LedgerCreate) -> LedgerRead:
        """A new ledger, owned by the caller. A token bound to one ledger cannot make
        another."""
        if principal.token_ledger_id is not None:
            raise NotFound("ledger", data.slug)
        taken = Conflict(f"the slug {data.slug} is taken", field="slug")
        try:
            async with self.db.transaction() as session:
                repo = LedgerRepository(session)
                if await repo.slug_taken(data.slug):
                    raise taken
                ledger = await repo.open(
                    slug=data.slug,
                    name=data.name or data.slug,
                    owner=principal.account_id,
                    at=utcnow(),
                )
                return _read(ledger, "owner")
        except ConstraintViolation:
            raise taken from None

    async def members(self, actor: Actor) -> list[MemberRead]:
        async with self.db.transaction(write=False) as session:
            rows = await LedgerRepository(session).members(actor.ledger_id)
            return [MemberRead(email=email, role=Role(role)) for email, role in rows]

    async def set_member(self, actor: Actor, *, email: str, role: Role) -> MemberRead:
        """Add ``email`` (an existing account) with ``role``, or change its role. Owners
        only; the last owner cannot step down."""
        actor.require("owner")
        async with self.db.transaction() as session:
            account = await AccountRepository(session).get_by_email(email)
            if account is None:
                raise NotFound("account", email, field="email")
            repo = LedgerRepository(session)
            membership = await repo.membership(actor.ledger_id, account.id)
            if membership is None:
                repo.add(
                    Membership(
                        ledger_id=actor.ledger_id,
                        account_id=account.id,
                        role=role.value,
                        created_at=utcnow(),
                    )
                )
            elif membership.role != role.value:
                await _keeps_an_owner(repo, actor, membership)
                membership.role = role.value
            await repo.flush()
            return MemberRead(email=account.email, role=role)

    async def remove_member(self, actor: Actor, *, email: str) -> None:
        """Owners remove anyone; anyone may leave. A ledger keeps at least one owner."""
        async with self.db.transaction() as session:
            account = await AccountRepository(session).get_by_email(email)
            if account is None or account.id != actor.account_id:
                actor.require("owner")
            if account is None:
                raise NotFound("member", email, field="email")
            repo = LedgerRepository(session)
            membership = await repo.membership(actor.ledger_id, account.id)
            if membership is None:
                raise NotFound("member", email, field="email")
            await _keeps_an_owner(repo, actor, membership)
            await repo.remove(actor.ledger_id, account.id)


def _read(ledger: Ledger, role: str) -> LedgerRead:
    return LedgerRead(id=ledger.id, slug=ledger.slug, name=ledger.name, role=Role(role))


async def _keeps_an_owner(repo: LedgerRepository, actor: Actor, leaving: Membership) -> None:
    """Refuse to let the ledger's last owner stop being one."""
    if leaving.role == "owner" and await repo.owners(actor.ledger_id) == 1:
        raise Conflict(
            f"ledger {actor.ledger} would have no owner: make another member owner first",
            field="role",
        )
