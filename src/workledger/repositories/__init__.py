"""The only place SQL is written. Repositories flush, never commit, and every query of an
account-owned record is scoped by the account they were built for."""
