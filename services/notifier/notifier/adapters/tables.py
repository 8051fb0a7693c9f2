"""The notifier's tables: the shared outbox and inbox so far."""

from shared.db.engine import metadata
from shared.inbox.table import inbox
from shared.outbox.table import outbox

__all__ = ["inbox", "metadata", "outbox"]
