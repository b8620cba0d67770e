"""Answers that stay cached exactly as long as the database has not changed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Literal, TypeVar, cast

from workledger.db.change_watcher import ChangeWatcher, Tokens
from workledger.db.types import utcnow

T = TypeVar("T")
DEFAULT_ENTRIES = 4096
# What an entry depends on: anything in the database, or only accounts and API tokens.
Scope = Literal["data", "credentials"]


class ReadCache:
    """A bounded LRU of read results, each stamped with the change token it was loaded at.

    The token is read before loading, so a value is never newer than its stamp claims;
    a hit needs the token to be unchanged, i.e. no commit anywhere since the load.
    Keys must include the account id. Values must be immutable (frozen models).

    An entry of scope ``credentials`` is stamped with the credentials' token instead, and
    outlives commits that change no account or API token.

    Inside ``one_request()`` the tokens are read once and shared by the request's reads
    (its bearer, then what it asks for): whatever committed before the request began is
    seen either way, and a commit of this process since makes them be read again."""

    def __init__(
        self,
        watcher: ChangeWatcher,
        *,
        max_entries: int = DEFAULT_ENTRIES,
        bypass: Callable[[], bool] = lambda: False,
        commits: Callable[[], int] = lambda: 0,
    ) -> None:
        self._watcher = watcher
        self._max_entries = max_entries
        # True inside an open write transaction: what it reads may yet roll back, and
        # what it has written is not in the read cache yet; it neither reads nor fills it.
        self._bypass = bypass
        self._commits = commits  # how many write transactions this process committed
        self._entries: OrderedDict[Hashable, tuple[str, object, datetime | None]] = OrderedDict()
        # The current request's tokens, and the commit count they were read at.
        self._request: ContextVar[list[tuple[int, Tokens]] | None] = ContextVar(
            f"workledger_request_tokens_{id(self)}", default=None
        )

    @contextmanager
    def one_request(self) -> Iterator[None]:
        reset = self._request.set([])
        try:
            yield
        finally:
            self._request.reset(reset)

    async def _tokens(self) -> Tokens | None:
        shared = self._request.get()
        commits = self._commits()
        if shared and shared[0][0] == commits:
            return shared[0][1]
        tokens = await self._watcher.tokens()
        if shared is not None and tokens is not None:
            shared[:] = [(commits, tokens)]
        return tokens

    async def get_or_load(
        self, key: Hashable, load: Callable[[], Awaitable[T]], *, scope: Scope = "data"
    ) -> T:
        async def forever() -> tuple[T, None]:
            return await load(), None

        return await self.get_or_load_until(key, forever, scope=scope)

    async def get_or_load_until(
        self,
        key: Hashable,
        load: Callable[[], Awaitable[tuple[T, datetime | None]]],
        *,
        scope: Scope = "data",
    ) -> T:
        """As ``get_or_load``, for a value that also goes stale at a time of its own
        (``load`` gives it with that time, or None): a claim's lease running out changes
        who an item is ready for, with no commit to tell."""
        if self._bypass():
            return (await load())[0]
        tokens = await self._tokens()
        if tokens is None:
            return (await load())[0]
        token = tokens.data
        if scope == "credentials" and tokens.credentials is not None:
            token = "credentials " + tokens.credentials
        hit = self._entries.get(key)
        if hit is not None and hit[0] == token and (hit[2] is None or utcnow() < hit[2]):
            self._entries.move_to_end(key)
            # A key is loaded by one kind of ``load``: its value is of that type.
            return cast(T, hit[1])
        value, until = await load()
        self._entries[key] = (token, value, until)
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry (the watcher belongs to whoever made it)."""
        self._entries.clear()
