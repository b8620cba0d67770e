"""Answers that stay cached exactly as long as the database has not changed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Literal, TypeVar

from workledger.db.change_watcher import ChangeWatcher

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
    outlives commits that change no account or API token."""

    def __init__(
        self,
        watcher: ChangeWatcher,
        *,
        max_entries: int = DEFAULT_ENTRIES,
        bypass: Callable[[], bool] = lambda: False,
    ) -> None:
        self._watcher = watcher
        self._max_entries = max_entries
        # True inside an open write transaction: what it reads may yet roll back, and
        # what it has written is not in the cache yet; it neither reads nor fills it.
        self._bypass = bypass
        self._entries: OrderedDict[Hashable, tuple[str, Any]] = OrderedDict()

    async def get_or_load(
        self, key: Hashable, load: Callable[[], Awaitable[T]], *, scope: Scope = "data"
    ) -> T:
        if self._bypass():
            return await load()
        tokens = await self._watcher.tokens()
        if tokens is None:
            return await load()
        token = tokens.data
        if scope == "credentials" and tokens.credentials is not None:
            token = "credentials " + tokens.credentials
        hit = self._entries.get(key)
        if hit is not None and hit[0] == token:
            self._entries.move_to_end(key)
            return hit[1]  # type: ignore[no-any-return]
        value = await load()
        self._entries[key] = (token, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry (the watcher belongs to whoever made it)."""
        self._entries.clear()
