"""leases and work logs: a claim holds until a time; what was spent on an item, logged and summed"""

import sqlalchemy as sa
from alembic import op

from workledger.migrations import columns

revision: str = "0009"
down_revision: str | None = "0008"

ITEM_TABLES = ("work_items", "archived_work_items")
SPENT = ("spent_minutes", "spent_tokens", "spent_cost_micros")
LIVE = sa.text("deleted_at IS NULL")
DUE_OR_LAST = sa.text("coalesce(due_date, '9999-12-30')")
# The ready queue's index: its order, then what its filters read without the table.
READY_ORDER: list[str | sa.TextClause] = [
    "ledger_id",
    "status",
    "open_dependencies",
    "priority_rank",
    DUE_OR_LAST,
]
READY_FILTERS = ["assignee", "assignee_account", "item_type", "deleted_at"]


def ready_index(*, with_lease: bool) -> None:
    filters = (
        [*READY_FILTERS[:2], "claimed_until", *READY_FILTERS[2:]] if with_lease else READY_FILTERS
    )
    op.create_index(
        "ix_work_items_ready",
        "work_items",
        [*READY_ORDER, "created_at", "id", *filters],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def upgrade() -> None:
    for table in ITEM_TABLES:
        op.add_column(table, columns.at("claimed_until", nullable=True))
        for name in SPENT:
            op.add_column(
                table, sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            )
    op.drop_index("ix_work_items_ready", table_name="work_items")
    ready_index(with_lease=True)
    op.create_table(
        "work_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ledger_id", sa.Uuid(), nullable=False),
        sa.Column("work_item_id", sa.Uuid(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        columns.at("created_at"),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_by_account", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["ledgers.id"],
            name=op.f("fk_work_logs_ledger_id_ledgers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_logs")),
    )
    op.create_index("ix_work_logs_work_item", "work_logs", ["ledger_id", "work_item_id"])


def downgrade() -> None:
    op.drop_index("ix_work_logs_work_item", table_name="work_logs")
    op.drop_table("work_logs")
    op.drop_index("ix_work_items_ready", table_name="work_items")
    for table in ITEM_TABLES:
        for name in (*SPENT, "claimed_until"):
            op.drop_column(table, name)
    ready_index(with_lease=False)
