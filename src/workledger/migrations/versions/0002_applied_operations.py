"""applied operations: journaled writes replayed exactly once"""

import sqlalchemy as sa
from alembic import op

import workledger.db.types

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.create_table(
        "applied_operations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("applied_at", workledger.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_applied_operations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_operations")),
    )
    op.create_index(
        op.f("ix_applied_operations_account_id"),
        "applied_operations",
        ["account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_applied_operations_account_id"), table_name="applied_operations")
    op.drop_table("applied_operations")
