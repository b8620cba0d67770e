"""The outage path: how a PostgreSQL ledger keeps answering while its database is away.

One subsystem, one state. ``Outage`` (outage.py) is the only object that knows whether
the database answers and what answers in its place; the unit of work, the read cache,
authentication and every door ask it, and nothing outside this package changes it.

- ``provenance``: which layer served an answer (the database, the mirror, the status file
  from git or from disk, the journal), told to the client.
- ``outage``: the state: whether the database answers and which layers stand in.
- ``route``: which layer a unit of work goes to, asked by the unit of work.
- ``mirror``: layer 2, a SQLite copy of the database kept close behind it; ``mirror_copy``
  what one copy does (whole, or what changed since the last); ``copier`` the helper
  process that makes the copies.
- ``status_layers``: layers 3 and 4, the status file from git history or from disk.
- ``commands``: journaled writes as explicit, versioned commands.
- ``journal``: the durable file of commands waiting for the database, and the conflicts.
- ``journaling``: the ``@journaled`` seam of service writes, replay and mirror catch-up.
- ``catch_up``: the writes of this process the mirror may not hold yet.
- ``retry``: the one "that read met the outage: ask again from a fallback layer".
- ``loop``: the background work: copy the database, re-render the file, replay.

A SQLite ledger has an ``Outage`` with no layers: it never falls back.
"""
