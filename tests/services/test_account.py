"""Accounts: passwords, access JWTs and API tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from workledger.container import Container
from workledger.db.types import utcnow
from workledger.errors import Conflict, NotFound, Unauthorized, ValidationError
from workledger.models import ApiToken
from workledger.schemas.account import AccountCreate, AccountRead
from workledger.schemas.common import Actor
from workledger.services.account import AccountService

PASSWORD = "correct horse battery"
OMIT = object()


async def sign_up(container: Container, email: str, password: str = PASSWORD) -> AccountRead:
    return await container.accounts.create(
        AccountCreate.load({"email": email, "password": password})
    )


def claims(account_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """Valid access-token claims; an override of ``OMIT`` leaves that claim out."""
    now = datetime.now(UTC)
    values = {
        "sub": str(account_id),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
        "iss": "workledger",
        "aud": "workledger",
        **overrides,
    }
    return {name: value for name, value in values.items() if value is not OMIT}


def forge(
    account_id: uuid.UUID, *, key: str = TEST_SECRET, algorithm: str = "HS256", **claim: Any
) -> str:
    return jwt.encode(claims(account_id, **claim), key, algorithm=algorithm)


# --- passwords ----------------------------------------------------------------------------


async def test_a_new_account_can_log_in_with_its_password(container: Container) -> None:
    account = await sign_up(container, "Carol@Example.com")

    assert account.email == "carol@example.com"
    assert (
        await container.accounts.authenticate(email="carol@example.com", password=PASSWORD)
        == account
    )
    assert (
        await container.accounts.authenticate(email="CAROL@example.com", password=PASSWORD)
        == account
    )
    assert await container.accounts.get_by_email("carol@EXAMPLE.com") == account


async def test_a_wrong_password_and_an_unknown_email_fail_alike(container: Container) -> None:
    await sign_up(container, "carol@example.com")

    with pytest.raises(Unauthorized) as wrong_password:
        await container.accounts.authenticate(email="carol@example.com", password="not the one")
    with pytest.raises(Unauthorized) as unknown_email:
        await container.accounts.authenticate(email="nobody@example.com", password=PASSWORD)

    assert wrong_password.value.message == unknown_email.value.message
    assert "nobody" not in unknown_email.value.message


async def test_an_account_without_a_password_cannot_log_in(container: Container) -> None:
    await container.accounts.ensure("cli@example.com")

    with pytest.raises(Unauthorized):
        await container.accounts.authenticate(email="cli@example.com", password=PASSWORD)


async def test_an_email_is_registered_once_whatever_its_case(container: Container) -> None:
    first = await sign_up(container, "dave@example.com")

    with pytest.raises(Conflict) as caught:
        await sign_up(container, "DAVE@Example.COM", password="another password")

    assert caught.value.to_dict()["field"] == "email"
    assert (
        await container.accounts.authenticate(email="dave@example.com", password=PASSWORD) == first
    )
    with pytest.raises(Unauthorized):
        await container.accounts.authenticate(email="dave@example.com", password="another password")


async def test_ensure_returns_the_existing_account(container: Container) -> None:
    first = await container.accounts.ensure("erin@example.com")

    assert await container.accounts.ensure("Erin@Example.com") == first


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"email": "frank@example.com", "password": "short"}, "password"),
        ({"email": "frank@example.com", "password": "1234567"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "frank@example.com", "password": PASSWORD, "admin": True}, "admin"),
    ],
)
async def test_bad_signups_are_refused_by_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AccountCreate.load(raw)

    assert field in [e.field for e in caught.value.errors]


async def test_an_eight_character_password_is_enough(container: Container) -> None:
    await sign_up(container, "gina@example.com", password="12345678")

    account = await container.accounts.authenticate(email="gina@example.com", password="12345678")
    assert account.email == "gina@example.com"


# --- access tokens ------------------------------------------------------------------------


async def test_an_issued_access_token_verifies_to_its_account(
    container: Container, actor: Actor
) -> None:
    issued = container.accounts.issue_access_token(actor.account_id)

    assert issued.token_type == "bearer"
    assert issued.expires_in == container.settings.access_token_minutes * 60
    assert container.accounts.verify_access_token(issued.access_token) == actor.account_id
    principal = await container.accounts.resolve_bearer(issued.access_token)
    assert (principal.account_id, principal.token_name) == (actor.account_id, None)


async def test_a_well_formed_hand_made_token_is_accepted(
    container: Container, actor: Actor
) -> None:
    # Proves the forged tokens below fail only for the one thing each of them breaks.
    assert container.accounts.verify_access_token(forge(actor.account_id)) == actor.account_id


@pytest.mark.parametrize(
    "token_args",
    [
        pytest.param({"key": "another-secret-" + "y" * 40}, id="other key"),
        pytest.param(
            {"algorithm": "HS512"},
            id="HS512",
            marks=pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
        ),
        pytest.param({"exp": datetime.now(UTC) - timedelta(seconds=30)}, id="expired"),
        pytest.param({"exp": OMIT}, id="no exp"),
        pytest.param({"sub": OMIT}, id="no sub"),
        pytest.param({"jti": OMIT}, id="no jti"),
        pytest.param({"iat": OMIT}, id="no iat"),
        pytest.param({"iss": OMIT}, id="no iss"),
        pytest.param({"aud": OMIT}, id="no aud"),
        pytest.param({"aud": "someone-else"}, id="wrong aud"),
        pytest.param({"iss": "someone-else"}, id="wrong iss"),
        pytest.param({"sub": "not-a-uuid"}, id="bad sub"),
    ],
)
async def test_a_bad_access_token_is_unauthorized(
    container: Container, actor: Actor, token_args: dict[str, Any]
) -> None:
    token = forge(actor.account_id, **token_args)

    with pytest.raises(Unauthorized):
        container.accounts.verify_access_token(token)
    with pytest.raises(Unauthorized):
        await container.accounts.resolve_bearer(token)


async def test_a_token_accepted_before_is_refused_once_it_expires(
    container: Container, actor: Actor
) -> None:
    token = container.accounts.issue_access_token(actor.account_id).access_token
    assert (await container.accounts.resolve_bearer(token)).account_id == actor.account_id

    # The process remembers the token it checked, but not past the token's own expiry.
    later = time_machine.travel(utcnow() + timedelta(minutes=61))
    with later, pytest.raises(Unauthorized, match="expired"):
        await container.accounts.resolve_bearer(token)
    assert (await container.accounts.resolve_bearer(token)).account_id == actor.account_id


async def test_an_unsigned_token_is_unauthorized(container: Container, actor: Actor) -> None:
    token = jwt.encode(claims(actor.account_id), None, algorithm="none")

    with pytest.raises(Unauthorized):
        container.accounts.verify_access_token(token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer x"])
async def test_garbage_is_unauthorized(container: Container, token: str) -> None:
    with pytest.raises(Unauthorized):
        await container.accounts.resolve_bearer(token)


async def test_a_token_for_an_account_that_does_not_exist_is_unauthorized(
    container: Container,
) -> None:
    with pytest.raises(Unauthorized):
        await container.accounts.resolve_bearer(forge(uuid.uuid4()))


# --- API tokens ---------------------------------------------------------------------------


async def test_an_api_token_resolves_to_its_account_and_name(
    container: Container, actor: Actor
) -> None:
    first = await container.accounts.create_api_token(actor=actor, name="ci")
    second = await container.accounts.create_api_token(actor=actor, name="laptop")

    principal = await container.accounts.resolve_bearer(first.token)

    assert (principal.account_id, principal.token_name) == (actor.account_id, "ci")
    assert (await container.accounts.resolve_bearer(second.token)).token_name == "laptop"
    assert first.token != second.token
    assert len(first.token) >= 40
    # A recognisable prefix: every token starts the same way, and it is not a JWT.
    prefix = first.token.split("_", 1)[0] + "_"
    assert len(prefix) >= 3
    assert second.token.startswith(prefix)
    assert not first.token.startswith("eyJ")


async def test_the_token_list_shows_no_secret(container: Container, actor: Actor) -> None:
    created = await container.accounts.create_api_token(actor=actor, name="ci")

    listed = await container.accounts.list_api_tokens(actor=actor)

    assert [(t.id, t.name, t.revoked_at) for t in listed] == [(created.id, "ci", None)]
    assert created.token not in listed[0].model_dump_json()
    assert created.token.startswith(listed[0].prefix)
    assert len(listed[0].prefix) < len(created.token) // 2


async def test_the_stored_token_is_a_hash_not_the_token(container: Container, actor: Actor) -> None:
    created = await container.accounts.create_api_token(actor=actor, name="ci")

    async with container.db.transaction(write=False) as session:
        row = (
            await session.execute(select(ApiToken).where(ApiToken.id == created.id))
        ).scalar_one()

    assert row.token_hash != created.token
    assert created.token not in row.token_hash
    assert created.token[10:] not in row.token_hash


async def test_a_revoked_token_stops_working(container: Container, actor: Actor) -> None:
    revoked = await container.accounts.create_api_token(actor=actor, name="old")
    kept = await container.accounts.create_api_token(actor=actor, name="new")

    result = await container.accounts.revoke_api_token(actor=actor, token_id=revoked.id)

    assert result.revoked_at is not None
    with pytest.raises(Unauthorized):
        await container.accounts.resolve_bearer(revoked.token)
    assert (await container.accounts.resolve_bearer(kept.token)).token_name == "new"
    listed = {t.name: t.revoked_at for t in await container.accounts.list_api_tokens(actor=actor)}
    assert listed["old"] is not None
    assert listed["new"] is None


async def test_an_unknown_api_token_is_unauthorized(container: Container, actor: Actor) -> None:
    created = await container.accounts.create_api_token(actor=actor, name="ci")

    with pytest.raises(Unauthorized):
        await container.accounts.resolve_bearer(created.token[:-1])
    with pytest.raises(Unauthorized):
        await container.accounts.resolve_bearer(created.token + "x")


async def test_another_accounts_token_cannot_be_listed_or_revoked(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    mine = await container.accounts.create_api_token(actor=actor, name="mine")

    with pytest.raises(NotFound):
        await container.accounts.revoke_api_token(actor=other_actor, token_id=mine.id)

    assert await container.accounts.list_api_tokens(actor=other_actor) == []
    assert (await container.accounts.resolve_bearer(mine.token)).account_id == actor.account_id


async def test_revoking_an_unknown_token_is_not_found(container: Container, actor: Actor) -> None:
    with pytest.raises(NotFound):
        await container.accounts.revoke_api_token(actor=actor, token_id=uuid.uuid4())


async def test_an_api_tokens_last_use_is_written_down_at_most_once_a_minute(
    container: Container, actor: Actor
) -> None:
    made = await container.accounts.create_api_token(actor=actor, name="laptop")

    async def last_used() -> datetime | None:
        [listed] = await container.accounts.list_api_tokens(actor=actor)
        return listed.last_used_at

    def another_process() -> AccountService:  # its own memory of what it noted
        return AccountService(
            container.db,
            read_cache=container.read_cache,
            signing_key=container.settings.signing_key,
            token_minutes=5,
        )

    assert await last_used() is None
    before = utcnow()
    await container.accounts.resolve_bearer(made.token)
    first = await last_used()
    assert first is not None
    assert before <= first <= utcnow()
    with time_machine.travel(utcnow() + timedelta(seconds=30), tick=True):
        await another_process().resolve_bearer(made.token)
        assert await last_used() == first  # used again within the minute
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=True):
        await another_process().resolve_bearer(made.token)
        later = await last_used()
        assert later is not None
        assert later > first + timedelta(minutes=1)


async def test_two_live_tokens_of_one_account_never_share_a_name(
    container: Container, actor: Actor, other_actor: Actor
) -> None:
    first = await container.accounts.create_api_token(actor=actor, name="laptop")
    with pytest.raises(Conflict) as refused:
        await container.accounts.create_api_token(actor=actor, name="laptop")
    assert refused.value.details["field"] == "name"
    assert "named 'laptop' already" in str(refused.value)
    # Another account may; and once revoked, the name is free again.
    await container.accounts.create_api_token(actor=other_actor, name="laptop")
    await container.accounts.revoke_api_token(actor=actor, token_id=first.id)
    again = await container.accounts.create_api_token(actor=actor, name="laptop")
    assert again.id != first.id
