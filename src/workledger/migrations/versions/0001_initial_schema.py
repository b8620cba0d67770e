"""initial schema"""

import sqlalchemy as sa
from alembic import op

from workledger.migrations import columns

revision: str = "0001"
down_revision: str | None = None

# The tables upgrade() makes, in the order it makes them (each after those it refers to).
TABLES = [
    "accounts",
    "api_tokens",
    "archived_work_items",
    "deployments",
    "enhancements",
    "vendors",
    "work_item_counts",
    "work_items",
    "deployment_vendors",
    "deployment_work_items",
    "enhancement_dependencies",
    "project_configurations",
    "work_item_dependencies",
]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        columns.at("created_at"),
        columns.at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "api_tokens",
        *columns.owned(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        columns.at("created_at"),
        columns.at("last_used_at", nullable=True),
        columns.at("revoked_at", nullable=True),
        columns.account_fk("api_tokens"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "archived_work_items",
        *columns.owned(),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        columns.at("archived_at"),
        columns.json("dependencies"),
        *columns.item_fields(),
        *columns.audited(),
        columns.account_fk("archived_work_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archived_work_items")),
    )
    with op.batch_alter_table("archived_work_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archived_work_items_archived_at"), ["archived_at"], unique=False
        )
        batch_op.create_index("ix_archived_work_items_path", ["account_id", "path"], unique=False)

    op.create_table(
        "deployments",
        *columns.owned(),
        columns.at("deployed_at"),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("pr_title", sa.String(length=200), nullable=False),
        sa.Column("commit_hash", sa.String(length=40), nullable=False),
        columns.json("test_summary"),
        sa.Column("constitutional_compliance", sa.Boolean(), nullable=False),
        *columns.audited(),
        columns.account_fk("deployments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint(
            "account_id",
            "pr_number",
            "commit_hash",
            name=op.f("uq_deployments_account_id_pr_number_commit_hash"),
        ),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deployments_account_id_deployed_at", ["account_id", "deployed_at"], unique=False
        )

    op.create_table(
        "enhancements",
        *columns.owned(),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("priority_rank", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("target_quarter", sa.String(length=7), nullable=True),
        columns.json("constitutional_principles"),
        *columns.audited(),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high', 'critical')",
            name=op.f("ck_enhancements_priority"),
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'approved', 'implementing', 'completed')",
            name=op.f("ck_enhancements_status"),
        ),
        columns.account_fk("enhancements"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enhancements")),
    )
    with op.batch_alter_table("enhancements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enhancements_listing", ["account_id", "priority_rank", "created_at"], unique=False
        )

    op.create_table(
        "vendors",
        *columns.owned(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("supports_excel", sa.Boolean(), nullable=False),
        sa.Column("supports_csv", sa.Boolean(), nullable=False),
        sa.Column("supports_pdf", sa.Boolean(), nullable=False),
        sa.Column("supports_ocr", sa.Boolean(), nullable=False),
        sa.Column("tests_passing", sa.Integer(), nullable=False),
        sa.Column("tests_total", sa.Integer(), nullable=False),
        sa.Column("tests_skipped", sa.Integer(), nullable=False),
        sa.Column("extractor_version", sa.String(length=50), nullable=True),
        sa.Column("manifest_compliant", sa.Boolean(), nullable=False),
        *columns.audited(),
        sa.CheckConstraint("status IN ('operational', 'broken')", name=op.f("ck_vendors_status")),
        sa.CheckConstraint(
            "tests_passing >= 0 AND tests_skipped >= 0 AND tests_passing + tests_skipped <= tests_total",
            name=op.f("ck_vendors_test_results"),
        ),
        columns.account_fk("vendors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_vendors_account_id_name")),
    )
    op.create_table(
        "work_item_counts",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_root", sa.Boolean(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        columns.account_fk("work_item_counts"),
        sa.PrimaryKeyConstraint(
            "account_id",
            "item_type",
            "status",
            "is_root",
            "is_deleted",
            name=op.f("pk_work_item_counts"),
        ),
    )
    op.create_table(
        "work_items",
        *columns.owned(),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        *columns.item_fields(),
        *columns.audited(),
        sa.CheckConstraint(
            "item_type IN ('project', 'session', 'task', 'research')",
            name=op.f("ck_work_items_item_type"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_work_items_priority")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'blocked')", name=op.f("ck_work_items_status")
        ),
        sa.CheckConstraint("depth BETWEEN 0 AND 4", name=op.f("ck_work_items_depth")),
        columns.account_fk("work_items"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["work_items.id"],
            name=op.f("fk_work_items_parent_id_work_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_items")),
    )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_items_live_created",
            ["account_id", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(
            "ix_work_items_live_listing",
            ["account_id", "item_type", "status", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_work_items_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_work_items_path", ["account_id", "path"], unique=False)

    op.create_table(
        "deployment_vendors",
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_vendors_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_deployment_vendors_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deployment_id", "vendor_id", name=op.f("pk_deployment_vendors")),
    )
    with op.batch_alter_table("deployment_vendors", schema=None) as batch_op:
        batch_op.create_index("ix_deployment_vendors_vendor_id", ["vendor_id"], unique=False)

    op.create_table(
        "deployment_work_items",
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column("work_item_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_work_items_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "deployment_id", "work_item_id", name=op.f("pk_deployment_work_items")
        ),
    )
    with op.batch_alter_table("deployment_work_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deployment_work_items_work_item_id", ["work_item_id"], unique=False
        )

    op.create_table(
        "enhancement_dependencies",
        sa.Column("enhancement_id", sa.Uuid(), nullable=False),
        sa.Column("depends_on_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "enhancement_id <> depends_on_id", name=op.f("ck_enhancement_dependencies_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["enhancements.id"],
            name=op.f("fk_enhancement_dependencies_depends_on_id_enhancements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enhancement_id"],
            ["enhancements.id"],
            name=op.f("fk_enhancement_dependencies_enhancement_id_enhancements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "enhancement_id", "depends_on_id", name=op.f("pk_enhancement_dependencies")
        ),
    )
    with op.batch_alter_table("enhancement_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enhancement_dependencies_depends_on_id"), ["depends_on_id"], unique=False
        )

    op.create_table(
        "project_configurations",
        *columns.owned(),
        sa.Column("active_context_type", sa.String(length=20), nullable=False),
        sa.Column("default_token_budget", sa.Integer(), nullable=False),
        columns.json("token_budgets"),
        sa.Column("current_session_id", sa.Uuid(), nullable=True),
        *columns.audited(),
        sa.CheckConstraint(
            "active_context_type IN ('feature', 'maintenance', 'research')",
            name=op.f("ck_project_configurations_context_type"),
        ),
        sa.CheckConstraint(
            "default_token_budget BETWEEN 1000 AND 1000000",
            name=op.f("ck_project_configurations_default_token_budget"),
        ),
        columns.account_fk("project_configurations"),
        sa.ForeignKeyConstraint(
            ["current_session_id"],
            ["work_items.id"],
            name=op.f("fk_project_configurations_current_session_id_work_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_configurations")),
        sa.UniqueConstraint("account_id", name=op.f("uq_project_configurations_account_id")),
    )
    op.create_table(
        "work_item_dependencies",
        sa.Column("work_item_id", sa.Uuid(), nullable=False),
        sa.Column("depends_on_id", sa.Uuid(), nullable=False),
        sa.Column("dependency_type", sa.String(length=20), nullable=False),
        columns.at("created_at"),
        sa.CheckConstraint(
            "dependency_type IN ('blocks', 'depends_on')",
            name=op.f("ck_work_item_dependencies_dependency_type"),
        ),
        sa.CheckConstraint(
            "work_item_id <> depends_on_id", name=op.f("ck_work_item_dependencies_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["work_items.id"],
            name=op.f("fk_work_item_dependencies_depends_on_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_items.id"],
            name=op.f("fk_work_item_dependencies_work_item_id_work_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "work_item_id", "depends_on_id", name=op.f("pk_work_item_dependencies")
        ),
    )
    with op.batch_alter_table("work_item_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_item_dependencies_depends_on_id"), ["depends_on_id"], unique=False
        )


def downgrade() -> None:
    # Dropping a table drops its indexes: the tables go, the latest made first.
    for table in reversed(TABLES):
        op.drop_table(table)
