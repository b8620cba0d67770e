"""readiness, claims and short ids: work items get assignee and short_id"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"

TABLES = ("work_items", "archived_work_items")
LIVE = sa.text("deleted_at IS NULL")


def _last_eight_hex_digits() -> str:
    # PostgreSQL keeps ids as uuid; SQLite as 32 hex digits.
    if op.get_bind().dialect.name == "postgresql":
        return "right(replace(id::text, '-', ''), 8)"
    return "lower(substr(id, -8))"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("short_id", sa.String(length=8), nullable=True))
            batch_op.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
        op.execute(f"UPDATE {table} SET short_id = {_last_eight_hex_digits()}")
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("short_id", existing_type=sa.String(length=8), nullable=False)
            batch_op.create_index(f"ix_{table}_short_id", ["account_id", "short_id"])
    op.create_index(
        "ix_work_items_ready",
        "work_items",
        [
            "account_id",
            "status",
            "priority_rank",
            sa.text("coalesce(due_date, '9999-12-30')"),
            "created_at",
            "id",
        ],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_work_items_ready", table_name="work_items")
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_short_id")
            batch_op.drop_column("assignee")
            batch_op.drop_column("short_id")
