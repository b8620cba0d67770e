"""ASGI receive channels the HTTP middleware hands on."""

from __future__ import annotations

from starlette.types import Message, Receive


def body_once(receive: Receive, body: bytes) -> Receive:
    """A receive that gives ``body`` as the whole request once, then what the client
    sends (its disconnect): a body read ahead, or none, given to the app in its place."""
    given = False

    async def once() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return once
