"""The notifier's service layer: accept commands into the send queue, send, record, answer the orchestrator."""
