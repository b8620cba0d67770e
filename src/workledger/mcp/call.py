"""What a tool call carries besides its arguments: the app, who is calling, the raw input.

The server sets it around every call; tools read it. Tool signatures declare the input
schema (and the SDK checks it); the bodies validate the raw arguments with the domain's
own input models, which know the rules a JSON schema cannot say (partial updates,
typed metadata per item type, NUL characters, …)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from workledger.container import Container
from workledger.schemas.common import Actor


@dataclass(frozen=True, slots=True)
class ToolCall:
    container: Container
    actor: Actor
    arguments: dict[str, Any]

    def without(self, *names: str) -> dict[str, Any]:
        """The raw arguments minus the ones that address the record (id, version, …)."""
        return {k: v for k, v in self.arguments.items() if k not in names}


current_call: ContextVar[ToolCall] = ContextVar("workledger_tool_call")


def call() -> ToolCall:
    return current_call.get()
