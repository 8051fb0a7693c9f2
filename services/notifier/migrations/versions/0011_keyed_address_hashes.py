"""The address hashes become keyed (HMAC-SHA256 under NOTIFIER_ADDRESS_KEY of the plain SHA-256 they were):
suppressions, delivery feedback, the suppression audit, unsubscribe tokens and deliveries. Computed from the
stored plain hash, so no address is needed; the key comes from the notifier's start-up or `migrate` command.

Not additive: a notifier of the previous version would write plain hashes after it, which no suppression
lookup finds again. Stop the old notifier before this migration runs (docs/deliverability.md, "Upgrading").

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from shared.db.migrations import migration_secret
from shared.personal import rekey_address_hash

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
TABLES = ("deliveries", "suppressions", "suppression_audit", "delivery_feedback", "unsubscribe_tokens")
CHUNK = 5000


def upgrade() -> None:
    bind = op.get_bind()
    # Table names are constants, not input.
    union = " UNION ".join(f"SELECT recipient_hash FROM {t} WHERE recipient_hash IS NOT NULL" for t in TABLES)  # noqa: S608
    plain = sorted(bind.execute(sa.text(union)).scalars())
    if not plain:
        return
    key = migration_secret("address_key")
    if key is None:
        raise RuntimeError(
            "0011 re-keys the address hashes with NOTIFIER_ADDRESS_KEY: run `python -m notifier migrate`"
        )
    for start in range(0, len(plain), CHUNK):
        old = plain[start : start + CHUNK]
        new = [rekey_address_hash(h, key) for h in old]
        for table in TABLES:
            bind.execute(
                sa.text(
                    f"""UPDATE {table} AS t SET recipient_hash = m.new
                    FROM unnest(CAST(:old AS text[]), CAST(:new AS text[])) AS m(old, new)
                    WHERE t.recipient_hash = m.old"""  # noqa: S608 (table names are constants)
                ),
                {"old": old, "new": new},
            )


def downgrade() -> None:
    raise NotImplementedError("a keyed hash cannot be turned back into the plain one: restore the backup")
