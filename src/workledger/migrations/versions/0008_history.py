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


# On PostgreSQL the database numbers a write's events as its transaction commits, so
# that the counter's row lock, which orders a ledger's events, is held for the commit
# alone and never across a round trip to the app (repositories/history.py says which
# writes). Such an event is inserted with a provisional seq, negative and unique; a
# deferred trigger, run at COMMIT in the order the events were inserted, raises the
# ledger's counter and gives the event its number, each by primary key. An event
# inserted with its number is left as it is.
NUMBER_EVENT = """
CREATE FUNCTION workledger_number_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    numbered bigint;
BEGIN
    INSERT INTO event_counters AS counter (ledger_id, seq) VALUES (NEW.ledger_id, 1)
        ON CONFLICT (ledger_id) DO UPDATE SET seq = counter.seq + 1
        RETURNING counter.seq INTO numbered;
    UPDATE events SET seq = numbered WHERE ledger_id = NEW.ledger_id AND seq = NEW.seq;
    RETURN NULL;
END $$
"""


def number_events_at_commit() -> None:
    op.execute("CREATE SEQUENCE events_unnumbered OWNED BY events.seq")
    op.execute("ALTER TABLE events ALTER COLUMN seq SET DEFAULT -nextval('events_unnumbered')")
    op.execute(NUMBER_EVENT)
    op.execute(
        "CREATE CONSTRAINT TRIGGER events_numbered AFTER INSERT ON events"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq < 0)"
        " EXECUTE FUNCTION workledger_number_event()"
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
    if op.get_bind().dialect.name == "postgresql":
        number_events_at_commit()
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
    op.drop_table("events")  # with its trigger and its sequence
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION workledger_number_event()")
