"""The outage path: how a PostgreSQL ledger keeps answering while its database is away.

One subsystem, one state. ``Outage`` (outage.py) is the only object that knows whether
the database answers and what answers in its place; the unit of work, the read cache,
authentication and every door ask it, and nothing outside this package changes it.

- ``source``: which layer served an answer (database, cache, git, file, journal).
- ``outage``: the state, where a read is served from and where a write goes.
- ``mirror``: layer 2, a SQLite copy of the database kept close behind it.
- ``status_layers``: layers 3 and 4, the status file from git history or from disk.
- ``commands``: journaled writes as explicit, versioned commands.
- ``journal``: the durable file of commands waiting for the database, and the conflicts.
- ``journaling``: the ``@journaled`` seam of service writes, replay and mirror catch-up.
- ``retry``: the one "that read met the outage: ask again from a fallback layer".
- ``loop``: the background work: copy the database, re-render the file, replay.

A SQLite ledger has an ``Outage`` with no layers: it never falls back.
"""
