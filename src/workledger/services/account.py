"""Accounts, passwords (Argon2), access JWTs (HS256) and API tokens (stored hashed)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
import uuid
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from pwdlib import PasswordHash

from workledger.db.types import utcnow
from workledger.db.unit_of_work import Database
from workledger.errors import (
    Conflict,
    Forbidden,
    NotFound,
    StorageUnavailable,
    Unauthorized,
    WorkledgerError,
)
from workledger.fallback.provenance import served_by_fallback
from workledger.models import Account, ApiToken
from workledger.repositories.account import (
    USE_NOTED_EVERY,
    AccountRepository,
    ApiTokenRepository,
    note_token_use,
)
from workledger.repositories.base import ConstraintViolation
from workledger.schemas.account import (
    AccessToken,
    AccountCreate,
    AccountRead,
    ApiTokenCreated,
    ApiTokenRead,
    Principal,
)
from workledger.schemas.common import Actor, weaker
from workledger.services.common import Service
from workledger.services.ledger import first_ledger
from workledger.services.read_cache import ReadCache

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ISSUER = AUDIENCE = "workledger"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti", "iss", "aud"]
# How many checked access tokens a process remembers (forgotten all at once past it).
VERIFIED_KEPT = 4096
API_TOKEN_PREFIX = "wl_"


def hash_api_token(token: str) -> str:
    # API tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService(Service):
    def __init__(
        self, db: Database, *, read_cache: ReadCache, signing_key: str, token_minutes: int
    ) -> None:
        super().__init__(db)
        self._read_cache = read_cache
        self._key = signing_key
        self._lifetime = timedelta(minutes=token_minutes)
        self._passwords = PasswordHash.recommended()
        self._uses_noted: dict[str, float] = {}  # token hash: when this process last did
        # Access tokens whose signature and claims were checked: their account and expiry.
        self._verified: dict[str, tuple[uuid.UUID, float]] = {}

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against for unknown emails, so timing does not reveal which exist.
        return self._passwords.hash(secrets.token_urlsafe(16))

    async def create(self, data: AccountCreate) -> AccountRead:
        password_hash = self._passwords.hash(data.password) if data.password else None
        try:
            async with self.db.transaction() as session:
                repo = AccountRepository(session)
                if await repo.get_by_email(data.email) is not None:
                    raise Conflict(f"an account for {data.email} already exists", field="email")
                now = utcnow()
                account = Account(
                    email=data.email, password_hash=password_hash, created_at=now, updated_at=now
                )
                repo.add(account)
                await repo.flush()
                await first_ledger(session, account)
                return AccountRead.model_validate(account)
        except ConstraintViolation:
            raise Conflict(f"an account for {data.email} already exists", field="email") from None

    async def set_password(self, data: AccountCreate) -> AccountRead:
        """Give the account for ``data.email`` the password ``data.password`` (to sign in
        to the web pages as the account the CLI and stdio MCP act as, say)."""
        password_hash = self._passwords.hash(data.password) if data.password else None
        async with self.db.transaction() as session:
            account = await AccountRepository(session).get_by_email(data.email)
            if account is None:
                raise NotFound("account", data.email, field="email")
            account.password_hash = password_hash
            account.updated_at = utcnow()
            return AccountRead.model_validate(account)

    async def ensure(self, email: str) -> AccountRead:
        """The account for ``email``, created without a password on first use (CLI, stdio)."""
        try:
            return await self.get_by_email(email)
        except NotFound:
            pass
        try:
            return await self.create(AccountCreate(email=email))
        except Conflict:
            return await self.get_by_email(email)

    async def get_by_email(self, email: str) -> AccountRead:
        async with self.db.transaction(write=False) as session:
            account = await AccountRepository(session).get_by_email(email)
            if account is None:
                raise NotFound("account", email)
            return AccountRead.model_validate(account)

    async def get(self, account_id: uuid.UUID) -> AccountRead:
        async with self.db.transaction(write=False) as session:
            account = await AccountRepository(session).get(account_id)
            if account is None:
                raise NotFound("account", account_id)
            return AccountRead.model_validate(account)

    async def authenticate(self, *, email: str, password: str) -> AccountRead:
        async with self.db.transaction(write=False) as session:
            account = await AccountRepository(session).get_by_email(email)
        stored = account.password_hash if account else None
        valid = self._passwords.verify(password, stored or self._dummy_hash)
        if account is None or stored is None:
            raise _unknown(session, "wrong email or password")
        if not valid:
            raise Unauthorized("wrong email or password")
        return AccountRead.model_validate(account)

    def issue_access_token(self, account_id: uuid.UUID) -> AccessToken:
        now = utcnow()
        claims = {
            "sub": str(account_id),
            "iat": now,
            "exp": now + self._lifetime,
            "jti": uuid.uuid4().hex,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        import jwt  # here, not at the top: PyJWT loads cryptography (0.1 s of a CLI start)

        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return AccessToken(access_token=token, expires_in=int(self._lifetime.total_seconds()))

    def verify_access_token(self, token: str) -> uuid.UUID:
        """The account an access token names, its signature and claims checked; a token
        checked before is only checked for expiry (every request carries one)."""
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        account_id, expires = self._checked(token)
        if len(self._verified) >= VERIFIED_KEPT:
            self._verified.clear()
        self._verified[token] = (account_id, expires)
        return account_id

    def _checked(self, token: str) -> tuple[uuid.UUID, float]:
        import jwt  # loaded once; then a lookup in sys.modules

        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS},
            )
            return uuid.UUID(str(claims["sub"])), float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the access token has expired") from None
        except (jwt.InvalidTokenError, ValueError):
            raise Unauthorized("the access token is invalid") from None

    async def resolve_bearer(self, token: str) -> Principal:
        """The account behind an access JWT or an API token; Unauthorized otherwise.

        What the database said stays cached until an account or an API token changes:
        every request carries a bearer, and those change seldom."""
        if token.startswith(API_TOKEN_PREFIX):
            digest = hash_api_token(token)
            found = await self._read_cache.get_or_load(
                ("api token", digest),
                lambda: self._api_token_principal(digest),
                scope="credentials",
            )
            await self._note_use(digest)
            return found
        account_id = self.verify_access_token(token)
        return await self._read_cache.get_or_load(
            ("account", account_id),
            lambda: self._account_principal(account_id),
            scope="credentials",
        )

    async def _note_use(self, digest: str) -> None:
        """Write down that the token was used (its ``last_used_at``), at most once a
        minute per token; never in the way of the request: while the database is away,
        the use goes unnoted."""
        now = time.monotonic()
        noted = self._uses_noted.get(digest)
        if noted is not None and now - noted < USE_NOTED_EVERY.total_seconds():
            return
        self._uses_noted[digest] = now
        with contextlib.suppress(StorageUnavailable):
            async with self.db.transaction() as session:
                await note_token_use(session, digest, at=utcnow())

    async def _account_principal(self, account_id: uuid.UUID) -> Principal:
        async with self.db.transaction(write=False) as session:
            account = await AccountRepository(session).get(account_id)
            if account is None:
                raise _unknown(session, "the access token's account no longer exists")
            return _principal(account)

    async def _api_token_principal(self, digest: str) -> Principal:
        async with self.db.transaction(write=False) as session:
            found = await AccountRepository(session).token_by_hash(digest)
            if found is None or found[0].revoked_at is not None:
                raise _unknown(session, "the API token is invalid or revoked")
            token, account = found
            return _principal(account, token)

    async def principal(self, email: str, *, create: bool = True) -> Principal:
        """Who the command line and stdio MCP act as: the account for ``email``, made
        without a password on first use when ``create`` (else NotFound). One read when
        it exists."""
        async with self.db.transaction(write=False) as session:
            account = await AccountRepository(session).get_by_email(email)
            if account is not None:
                return _principal(account)
        if not create:
            raise NotFound("account", email)
        await self.ensure(email)
        return await self.principal(email, create=False)

    async def create_api_token(
        self, *, actor: Actor, name: str, bound: bool = False, role: str | None = None
    ) -> ApiTokenCreated:
        """A token of ``actor``'s account. ``bound``: for ``actor``'s ledger only, with
        ``role`` there (at most the actor's own; by default the actor's). A token bound
        to a ledger makes only tokens bound to the same ledger."""
        bound = bound or actor.bound
        if role is not None and not actor.may(role):
            raise Forbidden(
                f"you are a {actor.role} of ledger {actor.ledger}: a token of yours there "
                f"can be a {actor.role} at most",
                ledger=actor.ledger,
                role=actor.role,
            )
        secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self.db.transaction() as session:
            repo = ApiTokenRepository(session, account_id=actor.account_id)
            if await repo.named(name):
                raise Conflict(
                    f"you have an API token named {name!r} already: choose another name, "
                    "or revoke that one first",
                    field="name",
                )
            token = ApiToken(
                account_id=actor.account_id,
                ledger_id=actor.ledger_id if bound else None,
                role=weaker(actor.role, role) if bound else None,
                name=name,
                token_hash=hash_api_token(secret),
                prefix=secret[:10],
                created_at=utcnow(),
            )
            repo.add(token)
            await repo.flush()
            return ApiTokenCreated(
                id=token.id,
                name=token.name,
                token=secret,
                created_at=token.created_at,
                ledger=actor.ledger if bound else None,
                role=token.role,
            )

    async def list_api_tokens(self, *, actor: Actor) -> list[ApiTokenRead]:
        async with self.db.transaction(write=False) as session:
            tokens = await ApiTokenRepository(session, account_id=actor.account_id).list()
            return [_token_read(token, slug) for token, slug in tokens]

    async def revoke_api_token(self, *, actor: Actor, token_id: uuid.UUID) -> ApiTokenRead:
        async with self.db.transaction() as session:
            repo = ApiTokenRepository(session, account_id=actor.account_id)
            found = await repo.get(token_id)
            if found is None:
                raise NotFound("API token", token_id)
            token, slug = found
            if token.revoked_at is None:
                token.revoked_at = utcnow()
                await repo.flush()
            return _token_read(token, slug)


def _unknown(session: AsyncSession, why: str) -> WorkledgerError:
    """Unauthorized, when the database says so. A fallback layer read while it is away is
    a copy: the mirror may not hold an account or a token made since its last copy, and
    the status file holds one account and no tokens. What a copy does not know, it cannot
    refuse: a valid bearer gets storage_unavailable, never a sign-out."""
    if served_by_fallback(session):
        return StorageUnavailable("the database is unavailable; retry shortly")
    return Unauthorized(why)


def _principal(account: Account, token: ApiToken | None = None) -> Principal:
    """Who an account speaks as: itself, or through ``token`` (its name, and the ledger
    and role it is bound to)."""
    if token is None:
        return Principal(account.id, account.email, account.default_ledger_id)
    return Principal(
        account.id,
        account.email,
        account.default_ledger_id,
        token_name=token.name,
        token_ledger_id=token.ledger_id,
        token_role=token.role,
    )


def _token_read(token: ApiToken, ledger: str | None) -> ApiTokenRead:
    return ApiTokenRead(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        ledger=ledger,
        role=token.role,
    )
