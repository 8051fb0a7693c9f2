"""Entry points: translate HTTP and Kafka into typed calls to the service layer."""
