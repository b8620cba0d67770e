"""``workledger``: the process's entry point. The people's command line
(``workledger.cli``) and the two commands that start servers: ``serve`` (the app of all
doors, ``workledger.app``) and ``mcp`` (MCP over stdio).

Only click is imported up front: each command imports what it needs when it runs, so
that ``--version`` and ``--help`` answer at once."""

from __future__ import annotations

import gc
import sys

import click

from workledger.cli.main import cli
from workledger.cli.runtime import acting, open_container, run_async, with_ledger_option
from workledger.errors import ValidationError

__all__ = ["cli", "main"]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the address (one per CPU core is a good start).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="A line per request (method, path, status); off for the last bit of throughput.",
)
def serve(host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve workledger over HTTP (applies pending migrations first)."""
    import logging

    from workledger.config import Settings

    async def migrate_database() -> Settings:
        async with open_container() as container:
            if workers > 1:
                # Workers starting together would each bring the outage mirror's file to
                # head at once, and SQLite refuses all but one: it is done here, first.
                await container.start()
            return container.settings

    # workledger's own messages (the daily archive, server errors) in uvicorn's style.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    _port_is_free(host, port)
    settings = run_async(migrate_database)()
    processes = f" · {workers} processes" if workers > 1 else ""
    click.echo(f"workledger on http://{host}:{port} · {settings.where()}{processes}", err=True)
    if workers == 1:
        from workledger.serve import serve_one

        serve_one(settings, host=host, port=port, access_log=access_log)
    else:
        from workledger.serve import serve_many

        serve_many(host=host, port=port, workers=workers, access_log=access_log)


def _port_is_free(host: str, port: int) -> None:
    """Refuse, in one line, an address another server holds, before saying we serve."""
    import os
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {os.strerror(exc.errno) if exc.errno else exc}; "
            "is another server "
            "running there? Choose another with --port"
        ) from None


@cli.command(short_help="Serve MCP over standard input and output.")
@run_async
async def mcp() -> None:
    """Serve MCP over stdio as WORKLEDGER_ACCOUNT in WORKLEDGER_LEDGER (stdout carries the
    protocol only)."""
    import logging

    from workledger.mcp.server import run_stdio

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    async with open_container() as container:
        actor = await acting(container)
        click.echo(f"workledger mcp · {container.settings.where()}", err=True)
        await run_stdio(container, actor=actor)


with_ledger_option(cli, leaving_out={"serve"})


def main() -> None:
    # Start-up imports make a great many objects and no garbage: collecting cycles while
    # they load costs a tenth of a short command's time. open_container turns the
    # collector back on once the command has its database. At the end, everything is
    # frozen: the interpreter's exit then skips one last walk of the whole heap (5 % of
    # `items list`).
    gc.disable()
    try:
        cli.main(prog_name="workledger")
    except ValidationError as exc:  # raised while parsing arguments, before any command ran
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    finally:
        gc.freeze()  # also when click ends the command with SystemExit
