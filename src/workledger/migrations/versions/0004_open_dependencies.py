"""the ready queue as an index range: work items count their open dependencies"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"

LIVE = sa.text("deleted_at IS NULL")
DUE_OR_LAST = sa.text("coalesce(due_date, '9999-12-30')")
# A dependency holds its dependant back until it is completed or deleted.
COUNT_OPEN = """
    UPDATE work_items SET open_dependencies = (
        SELECT count(*) FROM work_item_dependencies AS edge
        JOIN work_items AS target ON target.id = edge.depends_on_id
        WHERE edge.work_item_id = work_items.id
          AND target.status <> 'completed' AND target.deleted_at IS NULL
    )
    WHERE id IN (SELECT work_item_id FROM work_item_dependencies)
"""


def _ready_index(*columns: str | sa.TextClause) -> None:
    op.create_index(
        "ix_work_items_ready",
        "work_items",
        ["account_id", "status", *columns],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch_op:
        batch_op.add_column(
            sa.Column("open_dependencies", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(COUNT_OPEN)
    op.drop_index("ix_work_items_ready", table_name="work_items")
    _ready_index(
        "open_dependencies",
        "priority_rank",
        DUE_OR_LAST,
        "created_at",
        "id",
        "assignee",
        "item_type",
        "deleted_at",
    )


def downgrade() -> None:
    # Dropped before SQLite's batch copy of the table, which cannot carry an expression
    # index over (it reflects the table, and reflection skips such an index).
    op.drop_index("ix_work_items_ready", table_name="work_items")
    with op.batch_alter_table("work_items") as batch_op:
        batch_op.drop_column("open_dependencies")
    _ready_index("priority_rank", DUE_OR_LAST, "created_at", "id")
