"""list tallies in slots: concurrent writers of one account no longer queue on one row"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"

KEY = ["account_id", "item_type", "status", "is_root", "is_deleted"]
# What the slots of each key add up to, back in slot 0 (before the key loses its slots).
FOLD = """
    UPDATE work_item_counts SET item_count = (
        SELECT sum(other.item_count) FROM work_item_counts AS other
        WHERE other.account_id = work_item_counts.account_id
          AND other.item_type = work_item_counts.item_type
          AND other.status = work_item_counts.status
          AND other.is_root = work_item_counts.is_root
          AND other.is_deleted = work_item_counts.is_deleted
    )
    WHERE slot = 0
"""


def upgrade() -> None:
    with op.batch_alter_table("work_item_counts") as batch_op:
        batch_op.add_column(
            sa.Column("slot", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("pk_work_item_counts", type_="primary")
        batch_op.create_primary_key("pk_work_item_counts", [*KEY, "slot"])


def downgrade() -> None:
    # A key counted only in other slots gets its slot 0 row first.
    op.execute(
        f"INSERT INTO work_item_counts ({', '.join(KEY)}, slot, item_count) "
        f"SELECT DISTINCT {', '.join(KEY)}, 0, 0 FROM work_item_counts AS other "
        "WHERE NOT EXISTS (SELECT 1 FROM work_item_counts AS zero WHERE zero.slot = 0 AND "
        + " AND ".join(f"zero.{name} = other.{name}" for name in KEY)
        + ")"
    )
    op.execute(FOLD)
    op.execute("DELETE FROM work_item_counts WHERE slot <> 0")
    with op.batch_alter_table("work_item_counts") as batch_op:
        batch_op.drop_constraint("pk_work_item_counts", type_="primary")
        batch_op.create_primary_key("pk_work_item_counts", KEY)
        batch_op.drop_column("slot")
