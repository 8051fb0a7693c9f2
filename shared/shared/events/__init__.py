"""CloudEvents envelope, versioned event models and topic names: the shape of every message on Kafka."""
