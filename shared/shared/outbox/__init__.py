"""Transactional outbox: messages written in the caller's transaction, published by a relay afterwards."""
