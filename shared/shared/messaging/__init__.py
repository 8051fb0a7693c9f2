"""Kafka wrappers shared by the services: idempotent producer, topic creation, batch consumer with DLQ."""
