"""What a journaled write must do the same way when it is replayed: make the same ids,
and change the record only at the version it was made against."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class _Ids:
    handed_back: list[uuid.UUID] = field(default_factory=list)  # replay: made before
    made: list[uuid.UUID] = field(default_factory=list)  # journaling: made now


_ids: ContextVar[_Ids | None] = ContextVar("workledger_replay_ids", default=None)
_expected: ContextVar[tuple[uuid.UUID, int] | None] = ContextVar(
    "workledger_replay_expected", default=None
)


@contextmanager
def recording() -> Iterator[list[uuid.UUID]]:
    """The ids made inside, in order."""
    ids = _Ids()
    token = _ids.set(ids)
    try:
        yield ids.made
    finally:
        _ids.reset(token)


@contextmanager
def replaying(
    ids: list[uuid.UUID], *, record_id: uuid.UUID | None, base_version: int | None
) -> Iterator[None]:
    """Inside, ``new_id`` hands back ``ids`` in order, and a change of ``record_id`` that
    names no version is checked against ``base_version``."""
    id_token = _ids.set(_Ids(handed_back=list(reversed(ids))))
    expected = None if record_id is None or base_version is None else (record_id, base_version)
    version_token = _expected.set(expected)
    try:
        yield
    finally:
        _expected.reset(version_token)
        _ids.reset(id_token)


def next_id(make: uuid.UUID) -> uuid.UUID:
    """``make`` (a fresh id), or the one a replay hands back instead; recorded when
    journaling."""
    ids = _ids.get()
    if ids is None:
        return make
    chosen = ids.handed_back.pop() if ids.handed_back else make
    ids.made.append(chosen)
    return chosen


def expected_version(record_id: uuid.UUID) -> int | None:
    expected = _expected.get()
    if expected is None or expected[0] != record_id:
        return None
    return expected[1]
