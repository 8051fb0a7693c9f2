"""Wake the sender when deliveries join the queue (NOTIFY <schema>_deliveries) instead of it polling.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION notify_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_TABLE_SCHEMA || '_deliveries', '');
            RETURN NULL;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER deliveries_notify AFTER INSERT ON deliveries FOR EACH STATEMENT "
        "EXECUTE FUNCTION notify_deliveries()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS deliveries_notify ON deliveries")
    op.execute("DROP FUNCTION IF EXISTS notify_deliveries()")
