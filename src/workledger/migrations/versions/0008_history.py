"""history: events numbered per ledger, their counters, and comments on work items"""

import sqlalchemy as sa
from alembic import op

from workledger.migrations import columns

revision: str = "0008"
down_revision: str | None = "0007"


def ledger_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["ledger_id"],
        ["ledgers.id"],
        name=op.f(f"fk_{table}_ledger_id_ledgers"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("ledger_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        columns.json("changes"),
        sa.Column("actor_client", sa.String(length=100), nullable=False),
        sa.Column("actor_account", sa.String(length=320), nullable=True),
        columns.at("at"),
        ledger_fk("events"),
        sa.PrimaryKeyConstraint("ledger_id", "seq", name=op.f("pk_events")),
    )
    op.create_index("ix_events_record", "events", ["ledger_id", "record_id", "seq"])
    op.create_table(
        "event_counters",
        sa.Column("ledger_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        ledger_fk("event_counters"),
        sa.PrimaryKeyConstraint("ledger_id", name=op.f("pk_event_counters")),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ledger_id", sa.Uuid(), nullable=False),
        *columns.audited(),
        sa.Column("created_by_account", sa.String(length=320), nullable=True),
        sa.Column("updated_by_account", sa.String(length=320), nullable=True),
        sa.Column("work_item_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        ledger_fk("comments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(
        "ix_comments_work_item", "comments", ["ledger_id", "work_item_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_comments_work_item", table_name="comments")
    op.drop_table("comments")
    op.drop_table("event_counters")
    op.drop_index("ix_events_record", table_name="events")
    op.drop_table("events")
