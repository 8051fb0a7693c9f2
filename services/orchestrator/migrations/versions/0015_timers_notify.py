"""Wake the timer loop when a journey's next step falls due soon (NOTIFY <schema>_timers), so that it can sleep
until the next due step instead of polling: a quiet day costs nothing. Soon is within 60 seconds, longer than the
loop ever sleeps (ORCHESTRATOR_TIMER_INTERVAL_SECONDS, at most 60): a step due later is found by the loop's own
look at the next due time. Expand-only: a previous release's orchestrator ignores the notifications.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION notify_timers() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.next_due_at IS NOT NULL AND NEW.next_due_at < now() + interval '60 seconds'
               AND NEW.status IN ('active', 'cancelled', 'completed', 'failed') THEN
                -- one notification per transaction however many rows (PostgreSQL folds equal ones)
                PERFORM pg_notify(TG_TABLE_SCHEMA || '_timers', '');
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER journeys_notify_timers AFTER INSERT OR UPDATE OF next_due_at, status ON journeys "
        "FOR EACH ROW EXECUTE FUNCTION notify_timers()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS journeys_notify_timers ON journeys")
    op.execute("DROP FUNCTION IF EXISTS notify_timers()")
