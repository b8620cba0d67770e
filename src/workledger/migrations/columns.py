"""Columns the migrations share. A migration is history: change what it made only by a
new migration, and never edit a helper here in place (add a new one beside it)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import workledger.db.types


def at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, workledger.db.types.UTCDateTime(timezone=True), nullable=nullable)


def json(name: str) -> sa.Column[object]:
    """JSON, stored as JSONB on PostgreSQL."""
    kind = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    return sa.Column(name, kind, nullable=False)


def owned() -> list[sa.Column[object]]:
    """A record's id and the account it belongs to."""
    return [sa.Column(name, sa.Uuid(), nullable=False) for name in ("id", "account_id")]


def audited() -> list[sa.Column[object]]:
    """The version and who made and last changed the row, when."""
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        at("created_at"),
        at("updated_at"),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
    ]


def item_fields() -> list[sa.Column[object]]:
    """What a work item holds, live or archived (beside its id, owner and parent)."""
    return [
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        json("tags"),
        sa.Column(
            "path",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("branch_name", sa.String(length=100), nullable=True),
        sa.Column("commit_hash", sa.String(length=40), nullable=True),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        json("metadata"),
        at("deleted_at", nullable=True),
    ]


def account_fk(table: str) -> sa.ForeignKeyConstraint:
    """The row belongs to an account, and goes with it."""
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )
