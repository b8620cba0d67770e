"""The names of provenance.py, where the doors import them from today (their import
moves to ``workledger.fallback.provenance``; then this module goes)."""

from workledger.fallback.provenance import (
    LAYER_NAMES,
    Served,
    Source,
    fallback_notice,
    note,
    served_by_fallback,
    served_now,
    serving,
)

__all__ = [
    "LAYER_NAMES",
    "Served",
    "Source",
    "fallback_notice",
    "note",
    "served_by_fallback",
    "served_now",
    "serving",
]
