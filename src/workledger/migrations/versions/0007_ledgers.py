"""ledgers a team shares: records move from their account to its first ledger"""

import re
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from workledger.errors import Conflict
from workledger.migrations import columns

revision: str = "0007"
down_revision: str | None = "0006"

# Each account's records go to a ledger of its own, whose id is the account's: the
# rows keep their values and only the column's name and what it refers to change.
RECORD_TABLES = [
    "work_items",
    "archived_work_items",
    "work_item_counts",
    "vendors",
    "deployments",
    "enhancements",
    "project_configurations",
    "applied_operations",
]
# The tables whose rows say who made and changed them.
AUDITED = [t for t in RECORD_TABLES if t not in ("work_item_counts", "applied_operations")]
# Constraints and indexes named after the column, by table: (old name, new name, columns).
UNIQUES = {
    "vendors": ("uq_vendors_account_id_name", "uq_vendors_ledger_id_name", ["name"]),
    "deployments": (
        "uq_deployments_account_id_pr_number_commit_hash",
        "uq_deployments_ledger_id_pr_number_commit_hash",
        ["pr_number", "commit_hash"],
    ),
    "project_configurations": (
        "uq_project_configurations_account_id",
        "uq_project_configurations_ledger_id",
        [],
    ),
}
LIVE = sa.text("deleted_at IS NULL")
DUE_OR_LAST = sa.text("coalesce(due_date, '9999-12-30')")
# Every index of the record tables that names the scope column, as (name, table, columns,
# partial): SQLite's copy of a table cannot carry an expression index, so they are made
# again after it.
INDEXES: list[tuple[str, str, list[str | sa.TextClause], bool]] = [
    ("ix_work_items_path", "work_items", ["path"], False),
    ("ix_work_items_short_id", "work_items", ["short_id"], False),
    ("ix_work_items_live_created", "work_items", ["created_at", "id"], True),
    (
        "ix_work_items_live_listing",
        "work_items",
        ["item_type", "status", "created_at", "id"],
        True,
    ),
    (
        "ix_work_items_ready",
        "work_items",
        [
            *["status", "open_dependencies", "priority_rank"],
            DUE_OR_LAST,
            *["created_at", "id", "assignee", "assignee_account", "item_type", "deleted_at"],
        ],
        True,
    ),
    ("ix_archived_work_items_path", "archived_work_items", ["path"], False),
    ("ix_archived_work_items_short_id", "archived_work_items", ["short_id"], False),
    ("ix_enhancements_listing", "enhancements", ["priority_rank", "created_at"], False),
]
RENAMED_INDEXES: list[tuple[str, str, str, list[str]]] = [
    (
        "deployments",
        "ix_deployments_account_id_deployed_at",
        "ix_deployments_ledger_id_deployed_at",
        ["deployed_at"],
    ),
    (
        "applied_operations",
        "ix_applied_operations_account_id",
        "ix_applied_operations_ledger_id",
        [],
    ),
]
BUMP = "UPDATE credential_changes SET version = version + 1 WHERE id = 1"
# A change to a ledger or a membership changes what a bearer token may do.
WATCHED = [("ledgers", ("UPDATE", "DELETE")), ("memberships", ("INSERT", "UPDATE", "DELETE"))]


def slugs(emails: list[str]) -> Iterator[str]:
    """A slug per email, in order, each unique: the part before the @, in lower case
    letters, digits and hyphens (``ada.l@x.org`` → ``ada-l``), then ``-2``, ``-3`` …"""
    taken: set[str] = set()
    for email in emails:
        base = re.sub(r"[^a-z0-9]+", "-", email.split("@", 1)[0].lower()).strip("-")[:36]
        base = base or "ledger"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        yield slug


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "ledgers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        columns.at("created_at"),
        columns.at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledgers")),
        sa.UniqueConstraint("slug", name=op.f("uq_ledgers_slug")),
    )
    op.create_table(
        "memberships",
        sa.Column("ledger_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        columns.at("created_at"),
        sa.CheckConstraint(
            "role IN ('owner', 'member', 'reader')", name=op.f("ck_memberships_role")
        ),
        columns.account_fk("memberships"),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["ledgers.id"],
            name=op.f("fk_memberships_ledger_id_ledgers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ledger_id", "account_id", name=op.f("pk_memberships")),
    )
    op.create_index("ix_memberships_account_id", "memberships", ["account_id"])
    _ledger_per_account()
    _add_reference("accounts", "default_ledger_id", "SET NULL", sqlite=sqlite)
    op.execute("UPDATE accounts SET default_ledger_id = id")
    _add_reference("api_tokens", "ledger_id", "CASCADE", sqlite=sqlite)
    op.add_column("api_tokens", sa.Column("role", sa.String(length=10), nullable=True))
    # Who claimed an item: its client name and, now, its account.
    for table in ("work_items", "archived_work_items"):
        op.add_column(table, sa.Column("assignee_account", sa.String(length=320), nullable=True))
    _rescope_all(sqlite=sqlite, old="account_id", new="ledger_id", target="ledgers")
    if not sqlite:  # renamed in place: made again with the claimant's account in it
        op.drop_index("ix_work_items_ready", table_name="work_items")
        _ready_index("ledger_id", with_account=True)
    for table in AUDITED:
        for column in ("created_by_account", "updated_by_account"):
            op.add_column(table, sa.Column(column, sa.String(length=320), nullable=True))
        op.execute(
            f"UPDATE {table} SET created_by_account = accounts.email, "
            "updated_by_account = accounts.email FROM accounts WHERE accounts.id = "
            f"{table}.ledger_id"
        )
    _watch(sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _refuse_merging_ledgers()
    _unwatch(sqlite)
    for table in AUDITED:
        for column in ("created_by_account", "updated_by_account"):
            op.drop_column(table, column)
    # A ledger's records go back to its first owner (the account whose ledger it was).
    first_owner = (
        "(SELECT account_id FROM memberships WHERE memberships.ledger_id = {table}.ledger_id "
        "AND role = 'owner' ORDER BY created_at, account_id LIMIT 1)"
    )
    _rescope_all(
        sqlite=sqlite, old="ledger_id", new="account_id", target="accounts", remap=first_owner
    )
    op.drop_index("ix_work_items_ready", table_name="work_items")
    for table in ("work_items", "archived_work_items"):
        op.drop_column(table, "assignee_account")
    _ready_index("account_id", with_account=False)
    for table, column in (("api_tokens", "ledger_id"), ("accounts", "default_ledger_id")):
        with op.batch_alter_table(table) as batch_op:
            if table == "api_tokens":
                batch_op.drop_column("role")
            batch_op.drop_constraint(f"fk_{table}_{column}_ledgers", type_="foreignkey")
            batch_op.drop_column(column)
        if sqlite:
            _credential_triggers(table)
    op.drop_index("ix_memberships_account_id", table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("ledgers")


def _refuse_merging_ledgers() -> None:
    """Before 0007 an account held one set of records: an account that first owns two
    ledgers holding records cannot go back without merging them (and their names, which
    may clash). Refused, saying which, rather than merged by guesswork."""
    holds = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE {table}.ledger_id = ledgers.id)"
        for table in RECORD_TABLES
    )
    first_owner = (
        "(SELECT account_id FROM memberships WHERE memberships.ledger_id = ledgers.id "
        "AND role = 'owner' ORDER BY created_at, account_id LIMIT 1)"
    )
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT accounts.email, ledgers.slug FROM ledgers JOIN accounts ON accounts.id = "
            f"{first_owner} WHERE {holds} ORDER BY accounts.email, ledgers.slug"
        )
    )
    held: dict[str, list[str]] = {}
    for email, slug in rows:
        held.setdefault(email, []).append(slug)
    merged = {email: slugs for email, slugs in held.items() if len(slugs) > 1}
    if merged:
        which = "; ".join(f"{email}: {', '.join(slugs)}" for email, slugs in merged.items())
        raise Conflict(
            "cannot downgrade below 0007: before it an account had one ledger, and these "
            f"accounts first own several that hold records ({which}). Empty or hand over "
            "the extra ledgers first."
        )


def _ledger_per_account() -> None:
    """Each account's ledger, with the account's id. Values are copied as the database
    holds them (untyped), so each dialect's stored form of ids and times carries over."""
    accounts = (
        op.get_bind()
        .execute(sa.text("SELECT id, email, created_at FROM accounts ORDER BY created_at, id"))
        .all()
    )
    if not accounts:
        return
    ledgers = sa.table(
        "ledgers", *map(sa.column, ("id", "slug", "name", "created_at", "updated_at"))
    )
    memberships = sa.table(
        "memberships", *map(sa.column, ("ledger_id", "account_id", "role", "created_at"))
    )
    rows = list(zip(accounts, slugs([account.email for account in accounts]), strict=True))
    op.bulk_insert(
        ledgers,
        [
            {
                "id": a.id,
                "slug": slug,
                "name": a.email,
                "created_at": a.created_at,
                "updated_at": a.created_at,
            }
            for a, slug in rows
        ],
    )
    op.bulk_insert(
        memberships,
        [
            {"ledger_id": a.id, "account_id": a.id, "role": "owner", "created_at": a.created_at}
            for a, _ in rows
        ],
    )


def _add_reference(table: str, column: str, on_delete: str, *, sqlite: bool) -> None:
    """A nullable column referring to a ledger. SQLite copies the table for it, which
    leaves its triggers behind: they are made again."""
    name = f"fk_{table}_{column}_ledgers"
    with op.batch_alter_table(table) as batch_op:
        batch_op.add_column(sa.Column(column, sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(name, "ledgers", [column], ["id"], ondelete=on_delete)
    if sqlite:
        _credential_triggers(table)


def _rescope_all(
    *, sqlite: bool, old: str, new: str, target: str, remap: str | None = None
) -> None:
    """Move every record table's scope column from ``old`` to ``new``, referring to
    ``target`` (``remap``: how to find each row's new value, ``{table}`` in it), with
    their constraints and indexes named and made anew. SQLite's copies of the tables go
    between dropping every index and making them again: a copy reflects the tables its
    foreign keys refer to, and reflection cannot read an expression index."""
    forward = old == "account_id"
    if sqlite:
        for name, table, _, _ in INDEXES:
            op.drop_index(name, table_name=table)
        for table, was, now, _ in RENAMED_INDEXES:
            op.drop_index(was if forward else now, table_name=table)
    for table in RECORD_TABLES:
        if remap is not None and not sqlite:
            op.drop_constraint(f"fk_{table}_{old}_{_other(target)}", table, type_="foreignkey")
        if remap is not None:
            op.execute(f"UPDATE {table} SET {old} = {remap.format(table=table)}")
        (_copy_rescoped if sqlite else _alter_rescoped)(table, old, new, target, remap is None)
    if sqlite:
        for name, table, rest, partial in INDEXES:
            op.create_index(name, table, [new, *rest], sqlite_where=LIVE if partial else None)
        for table, was, now, columns in RENAMED_INDEXES:
            op.create_index(now if forward else was, table, [new, *columns])


def _ready_index(scope: str, *, with_account: bool) -> None:
    """The ready queue's index (revision 0004's, led by ``scope``), with the claimant's
    account beside its client name or without."""
    ready = next(columns for name, _, columns, _ in INDEXES if name == "ix_work_items_ready")
    columns = [c for c in ready if with_account or c != "assignee_account"]
    op.create_index(
        "ix_work_items_ready",
        "work_items",
        [scope, *columns],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def _other(target: str) -> str:
    return "accounts" if target == "ledgers" else "ledgers"


def _names(table: str, old: str) -> tuple[str, str] | None:
    """The unique constraint named after the scope column: (its name before, after)."""
    unique = UNIQUES.get(table)
    if unique is None:
        return None
    return (unique[0], unique[1]) if old == "account_id" else (unique[1], unique[0])


def _alter_rescoped(table: str, old: str, new: str, target: str, drop_fk: bool) -> None:
    """PostgreSQL renames in place; indexes follow their column."""
    if drop_fk:
        op.drop_constraint(f"fk_{table}_{old}_{_other(target)}", table, type_="foreignkey")
    op.alter_column(table, old, new_column_name=new)
    op.create_foreign_key(
        f"fk_{table}_{new}_{target}", table, target, [new], ["id"], ondelete="CASCADE"
    )
    names = _names(table, old)
    if names is not None:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {names[0]} TO {names[1]}")
    for where, was, now, _ in RENAMED_INDEXES:
        if where == table:
            was, now = (was, now) if old == "account_id" else (now, was)
            op.execute(f"ALTER INDEX {was} RENAME TO {now}")


def _copy_rescoped(table: str, old: str, new: str, target: str, _: bool) -> None:
    """SQLite copies the table, twice: constraints made in the copy that renames their
    column are lost."""
    names = _names(table, old)
    with op.batch_alter_table(table, recreate="always") as batch_op:
        batch_op.drop_constraint(f"fk_{table}_{old}_{_other(target)}", type_="foreignkey")
        if names is not None:
            batch_op.drop_constraint(names[0], type_="unique")
        batch_op.alter_column(
            old, new_column_name=new, existing_type=sa.Uuid(), existing_nullable=False
        )
    with op.batch_alter_table(table, recreate="always") as batch_op:
        batch_op.create_foreign_key(
            f"fk_{table}_{new}_{target}", target, [new], ["id"], ondelete="CASCADE"
        )
        if names is not None:
            batch_op.create_unique_constraint(names[1], [new, *UNIQUES[table][2]])


def _credential_triggers(table: str) -> None:
    """Migration 0006's triggers of a table SQLite copied (a copy leaves them behind)."""
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_credentials_{event.lower()} "
            f"AFTER {event} ON {table} BEGIN {BUMP}; END"
        )


def _watch(sqlite: bool) -> None:
    if not sqlite:
        for table, events in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_credentials_changed AFTER {' OR '.join(events)} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION workledger_credentials_changed()"
            )
        return
    for table, events in WATCHED:
        for event in events:
            op.execute(
                f"CREATE TRIGGER {table}_credentials_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def _unwatch(sqlite: bool) -> None:
    for table, events in WATCHED:
        if not sqlite:
            op.execute(f"DROP TRIGGER {table}_credentials_changed ON {table}")
            continue
        for event in events:
            op.execute(f"DROP TRIGGER {table}_credentials_{event.lower()}")
