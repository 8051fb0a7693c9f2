"""Indexes for the support console: failed steps (attention list) and the audit log by actor.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_journey_steps_failed", "journey_steps", ["completed_at"], postgresql_where=sa.text("status = 'failed'")
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_index("ix_journey_steps_failed", table_name="journey_steps")
