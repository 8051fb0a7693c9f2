"""Every journey gets a MAC key besides its sealing key: internal messages about it are signed with it
(shared.signing). Erasure now sets the sealing key to NULL and keeps the MAC key, so that the erasure's own
commands still verify and an erased journey is told apart from one that never existed. Journeys that have keys
get a fresh random MAC key here; those erased before (their row deleted) stay without: they send nothing more.

Revision ID: 0011
Revises: 0010
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade() -> None:
    op.add_column("journey_keys", sa.Column("mac_key", sa.LargeBinary, nullable=True))
    op.alter_column("journey_keys", "key", nullable=True)
    connection = op.get_bind()
    while True:
        ids = (
            connection.execute(
                sa.text("SELECT journey_id FROM journey_keys WHERE mac_key IS NULL LIMIT :n"), {"n": BATCH}
            )
            .scalars()
            .all()
        )
        if not ids:
            break
        connection.execute(
            sa.text(
                "UPDATE journey_keys k SET mac_key = n.mac "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:macs AS bytea[])) AS n(id, mac) WHERE k.journey_id = n.id"
            ),
            {"ids": ids, "macs": [os.urandom(32) for _ in ids]},
        )
    op.alter_column("journey_keys", "mac_key", nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM journey_keys WHERE key IS NULL")
    op.alter_column("journey_keys", "key", nullable=False)
    op.drop_column("journey_keys", "mac_key")
