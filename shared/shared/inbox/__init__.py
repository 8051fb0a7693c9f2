"""Inbox (idempotent consumer): one row per processed message identity, in the processing transaction."""
