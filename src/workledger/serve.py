"""``workledger serve`` under uvicorn: one process, or several sharing one listening socket."""

from __future__ import annotations

import gc
import os
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from workledger.app import create_app
from workledger.config import Settings, load_settings
from workledger.container import Container

# Where the workers of ``serve_many`` serve, for their app's MCP endpoint (which checks
# the Host and Origin it is reached by).
_HOST_ENV, _PORT_ENV = "WORKLEDGER_SERVE_HOST", "WORKLEDGER_SERVE_PORT"


# The garbage collector looks at the youngest objects once this many more were made than
# freed: 10,000 rather than Python's 700. A request makes thousands of objects that live
# as long as it does; at 700 they are walked again and again on their way to the oldest
# generation, and a full pass ran every few dozen requests (a tenth of the server's time,
# and the slowest percentile of GET one: 45 ms where it is now about 10).
YOUNG_THRESHOLD = 10_000


def settle_for_serving() -> None:
    """What a serving process does once it has loaded: everything loaded so far lives as
    long as the process, and is kept out of the collector's passes (which would otherwise
    stall requests for tens of milliseconds each); and the collector runs less often."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def build(settings: Settings, *, host: str, port: int) -> FastAPI:
    # The serving container is built afresh: its pool must belong to uvicorn's event loop.
    container = Container.from_settings(settings)
    settle_for_serving()
    return create_app(container, host=host, port=port)


def serve_one(settings: Settings, *, host: str, port: int, access_log: bool = True) -> None:
    app = build(settings, host=host, port=port)
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")


def worker_app() -> FastAPI:
    """The app of one of ``serve_many``'s workers (uvicorn's factory, in the worker)."""
    host, port = os.environ[_HOST_ENV], int(os.environ[_PORT_ENV])
    return build(load_settings(), host=host, port=port)


def serve_many(*, host: str, port: int, workers: int, access_log: bool = True) -> None:
    """``workers`` processes on one socket, each with its own container and pool; uvicorn's
    supervisor restarts a worker that dies. The database must already be migrated."""
    os.environ[_HOST_ENV], os.environ[_PORT_ENV] = host, str(port)
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
    )
    Multiprocess(config, sockets=[_listening(host, port)]).run()


def _listening(host: str, port: int) -> socket.socket:
    """The workers' socket, made as TCP explicitly: uvicorn's own leaves ``proto`` at 0,
    so asyncio never sets TCP_NODELAY on accepted connections and every keep-alive
    answer waits ~40 ms for a delayed ACK (uvicorn issue #3149)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
