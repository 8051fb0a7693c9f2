"""Version 1 of the outbox and inbox tables as Alembic operations, for each service's first migration.

Kept apart from the live Table definitions on purpose: a migration is a frozen snapshot. A test compares the
migrated schema with the metadata, so the two cannot drift apart unnoticed.
"""

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy.dialects.postgresql import JSONB


def create_outbox_and_inbox(op: Operations) -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("consumer", "source", "message_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_received_at", "inbox", ["received_at"])


def drop_outbox_and_inbox(op: Operations) -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")


def create_outbox_notify(op: Operations) -> None:
    """A committed insert into the outbox wakes the relay (LISTEN outbox_<schema>) instead of it polling."""
    create_insert_notify(op, "outbox")


def drop_outbox_notify(op: Operations) -> None:
    drop_insert_notify(op, "outbox")


def create_insert_notify(op: Operations, table: str) -> None:
    """A committed insert into `table` sends NOTIFY <schema>_<table> (once per statement): a loop LISTENing
    there (shared.db.wakeup) starts at once instead of polling."""
    op.execute(f"""
        CREATE FUNCTION notify_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_TABLE_SCHEMA || '_{table}', '');
            RETURN NULL;
        END $$
    """)
    op.execute(
        f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} FOR EACH STATEMENT EXECUTE FUNCTION notify_{table}()"
    )


def drop_insert_notify(op: Operations, table: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS notify_{table}()")


def add_inbox_fingerprint(op: Operations) -> None:
    """The inbox remembers a hash of each event, to tell a redelivery from a reused identity."""
    op.add_column("inbox", sa.Column("fingerprint", sa.Text, nullable=True))


def drop_inbox_fingerprint(op: Operations) -> None:
    op.drop_column("inbox", "fingerprint")


def create_dead_letters(op: Operations) -> None:
    """A row per dead letter (topic, position, reason, key): the attention list reads it."""
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        sa.UniqueConstraint("topic", "partition", "offset", name="uq_dead_letters_position"),
    )
    op.create_index("ix_dead_letters_at", "dead_letters", ["at"])


def drop_dead_letters(op: Operations) -> None:
    op.drop_table("dead_letters")
