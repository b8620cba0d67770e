"""credential changes: one version that moves with every change to an account or API token"""

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"

BUMP = "UPDATE credential_changes SET version = version + 1 WHERE id = 1"
# (table, the changes that can make a bearer token resolve differently). A new account
# or token cannot: what the cache holds are tokens that resolved.
WATCHED = [("accounts", ("UPDATE", "DELETE")), ("api_tokens", ("UPDATE", "DELETE"))]


def upgrade() -> None:
    op.create_table(
        "credential_changes",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_changes")),
    )
    # A random start: a version once seen never comes back, even after a reset.
    op.execute(f"INSERT INTO credential_changes (id, version) VALUES (1, {secrets.randbits(48)})")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION workledger_credentials_changed() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, events in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_credentials_changed AFTER {' OR '.join(events)} "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION workledger_credentials_changed()"
            )
        return
    for table, events in WATCHED:  # SQLite's triggers are per row
        for event in events:
            op.execute(
                f"CREATE TRIGGER {table}_credentials_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in WATCHED:
            op.execute(f"DROP TRIGGER {table}_credentials_changed ON {table}")
        op.execute("DROP FUNCTION workledger_credentials_changed()")
    else:
        for table, events in WATCHED:
            for event in events:
                op.execute(f"DROP TRIGGER {table}_credentials_{event.lower()}")
    op.drop_table("credential_changes")
