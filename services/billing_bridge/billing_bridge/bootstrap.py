"""Builds the billing bridge from its settings: the Kafka producer (through the shared runtime, without a
database), the providers' API clients, the webhook handlers and the HTTP app. Tests pass their own settings;
the backfill builds the same handlers (`webhooks`)."""

import httpx

from billing_bridge.adapters.customer_api import (
    PaddleCustomers,
    RecurlyApi,
    StripeCustomers,
    paddle_api,
    recurly_api,
    stripe_api,
)
from billing_bridge.adapters.publisher import KafkaPublisher
from billing_bridge.config import Settings
from billing_bridge.entrypoints.http import create_app
from billing_bridge.service_layer.webhooks import Webhooks
from shared.runtime import Runtime, build_runtime


def bootstrap(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings()
    runtime = build_runtime("billing_bridge", settings, database=False)
    client = httpx.AsyncClient(timeout=settings.provider_timeout_seconds)
    runtime.http_app = create_app(
        webhooks=webhooks(settings, runtime.producer, client), settings=settings, readiness=runtime.readiness
    )
    runtime.http_app.router.on_shutdown.append(client.aclose)
    return runtime


def webhooks(settings: Settings, producer, client: httpx.AsyncClient) -> Webhooks:
    def key(name: str) -> str:
        return getattr(settings, name).get_secret_value()

    topics = {
        "cancelled": settings.topic_subscription_cancelled,
        "reactivated": settings.topic_subscription_reactivated,
    }
    rule = settings.b2b_when
    return Webhooks(
        settings=settings,
        publisher=KafkaPublisher(producer, topics=topics, timeout=settings.kafka_timeout_seconds),
        stripe_customers=StripeCustomers(stripe_api(client, settings.stripe_api_base, key("stripe_api_key")), rule),
        paddle_customers=PaddleCustomers(paddle_api(client, settings.paddle_api_base, key("paddle_api_key")), rule),
        recurly_api=RecurlyApi(recurly_api(client, settings.recurly_api_base, key("recurly_api_key"))),
    )
