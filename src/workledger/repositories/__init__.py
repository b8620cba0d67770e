"""The only place SQL is written. Repositories flush, never commit, and every query of an
account-owned record is scoped by the account they were built for."""

# Every write keeps its history: the session hooks that build events are registered
# with the first repository imported.
from workledger.repositories import history as _history  # noqa: F401
