"""How every Kafka client of the services connects: plaintext for the local stack, TLS and SASL (SCRAM or
PLAIN) for a production cluster. Built once per process from the shared settings and passed to every
producer, consumer and admin client, so no client can be left on plaintext by accident."""

from typing import Any

from aiokafka.helpers import create_ssl_context


def client_options(
    *,
    security_protocol: str = "PLAINTEXT",
    sasl_mechanism: str | None = None,
    sasl_username: str | None = None,
    sasl_password: str | None = None,
    ssl_cafile: str | None = None,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer / AIOKafkaConsumer / AIOKafkaAdminClient."""
    options: dict[str, Any] = {"security_protocol": security_protocol}
    if security_protocol in ("SSL", "SASL_SSL"):
        # The system's trusted CAs unless a CA file is given; a client certificate for mutual TLS.
        options["ssl_context"] = create_ssl_context(cafile=ssl_cafile, certfile=ssl_certfile, keyfile=ssl_keyfile)
    if security_protocol.startswith("SASL_"):
        options |= {
            "sasl_mechanism": sasl_mechanism,
            "sasl_plain_username": sasl_username,
            "sasl_plain_password": sasl_password,
        }
    return options
