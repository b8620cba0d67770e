"""workledger: a project ledger for people and AI coding assistants."""

__version__ = "0.1.0"
