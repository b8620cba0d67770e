"""What was spent on work: minutes, model tokens and money, as kept and as people read it."""

from __future__ import annotations

from typing import Protocol

from workledger.schemas.common import ReadModel

MICROS = 1_000_000  # cost is kept in millionths of a USD: sums stay exact


class SpentOn(Protocol):
    """A work item's sums of its work log, as its row or its record keeps them."""

    @property
    def spent_minutes(self) -> int: ...
    @property
    def spent_tokens(self) -> int: ...
    @property
    def spent_cost_micros(self) -> int: ...


class Spent(ReadModel):
    """What was spent on an item: the sums of its work log."""

    minutes: int = 0
    tokens: int = 0
    cost_usd: float = 0.0

    @classmethod
    def of(cls, minutes: int, tokens: int, cost_micros: int) -> Spent:
        return cls(minutes=minutes, tokens=tokens, cost_usd=cost_micros / MICROS)

    @classmethod
    def on(cls, item: SpentOn) -> Spent:
        """What was spent on ``item``."""
        return cls.of(item.spent_minutes, item.spent_tokens, item.spent_cost_micros)

    def said(self) -> str:
        """As people read it, the parts spent only: ``25 min, 48,000 tokens, $1.50``;
        empty when nothing was."""
        parts = [f"{self.minutes:,} min"] if self.minutes else []
        if self.tokens:
            parts.append(f"{self.tokens:,} token{'' if self.tokens == 1 else 's'}")
        if self.cost_usd:
            parts.append(usd(self.cost_usd))
        return ", ".join(parts)


def usd(amount: float) -> str:
    """``$1,234.50``: to the cent, and further down to the millionth of a dollar a cost
    is kept in when it has such digits (``$0.000125``), so that nothing is rounded away."""
    whole, fraction = divmod(round(amount * MICROS), MICROS)
    return f"${whole:,}.{f'{fraction:06d}'.rstrip('0'):0<2}"
