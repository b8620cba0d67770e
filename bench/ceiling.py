"""The one-query ceiling: how fast a FastAPI route that reads one work item can answer on
this stack, for ``bench.rest_load`` to hold workledger against.

    WORKLEDGER_BENCH_DSN=postgresql://… python -m bench.ceiling --port 8001

One route, ``GET /items/{item_id}``: one asyncpg ``SELECT`` by primary key on the
``work_items`` table of the database workledger serves, the row returned as JSON. Same
Python, FastAPI, uvicorn (with its standard extras: uvloop, httptools) and asyncpg as
``workledger serve``; nothing else: no auth, no ORM, no transaction, no validation.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException

DSN_ENV = "WORKLEDGER_BENCH_DSN"
QUERY = (
    "SELECT id, item_type, title, status, priority, assignee, tags, version, "
    "created_at, updated_at FROM work_items WHERE id = $1"
)


def create_app(dsn: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/items/{item_id}")
    async def one(item_id: uuid.UUID) -> dict[str, Any]:
        assert pool is not None
        row = await pool.fetchrow(QUERY, item_id)
        if row is None:
            raise HTTPException(404)
        return dict(row)

    return app


def main() -> None:
    import uvicorn

    p = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    args = p.parse_args()
    app = create_app(os.environ[DSN_ENV])
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
