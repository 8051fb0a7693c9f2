"""`make publish-sample ARGS="--via stripe"` (paddle, chargebee, recurly, http): a sample cancellation sent as that
provider would send it, signed with the bridge's secret, to the running bridge; the customer the bridge then looks
up is put into the local stand-in of the provider's API first (`make run` starts both). From there on it is the
whole path: the bridge, Kafka, the orchestrator, the notifier, the email in the Maildir.

    python -m billing_bridge publish-sample --via stripe [--bridge http://127.0.0.1:8003]
"""

import argparse
import json
import os
import sys
import time
import uuid

import httpx

from billing_bridge.config import Settings
from billing_bridge.tools import samples, signing

PROVIDERS = ("stripe", "paddle", "chargebee", "recurly", "http")
DEVELOPMENT = {  # contract 1b: what `make run` starts the bridge with unless other secrets are given
    "stripe_webhook_secret": "whsec_dev_offboarding",
    "paddle_webhook_secret": "pdl_dev_offboarding",
    "chargebee_webhook_credentials": "dev:dev-offboarding",
    "recurly_webhook_secret": "recurly_dev_offboarding",
    "webhook_secret": "whsec_ZGV2LW9mZmJvYXJkaW5nLXNlY3JldA==",
}
PATHS = {
    "stripe": "/webhooks/stripe",
    "paddle": "/webhooks/paddle",
    "chargebee": "/webhooks/chargebee",
    "recurly": "/webhooks/recurly",
    "http": "/v1/events",
}


def webhook(provider: str, settings: Settings, standin: str, subscription: str, email: str) -> tuple[bytes, dict]:
    """The body and headers of a signed sample cancellation; the customer put into the stand-in where needed."""

    def first(name: str) -> str:
        """The bridge's secret as `make run` gives it (BILLING_* if set, else its development secret)."""
        return (settings.secrets(name) or [DEVELOPMENT[name]])[0]

    customer = f"cus_{subscription}"
    if provider == "stripe":
        _put(standin, "stripe", "customers", customer, samples.stripe_customer(customer, email=email))
        body = _json(samples.stripe_scheduled(subscription, customer, int(time.time())))
        return body, signing.stripe_headers(body, first("stripe_webhook_secret"))
    if provider == "paddle":
        _put(standin, "paddle", "customers", customer, samples.paddle_customer(customer, email=email))
        body = _json(samples.paddle_canceled(subscription, customer))
        return body, signing.paddle_headers(body, first("paddle_webhook_secret"))
    if provider == "chargebee":
        body = _json(samples.chargebee_cancelled(subscription, email=email))
        return body, signing.chargebee_headers(first("chargebee_webhook_credentials"))
    if provider == "recurly":
        _put(standin, "recurly", "subscriptions", subscription, samples.recurly_subscription(subscription, customer))
        _put(standin, "recurly", "accounts", customer, samples.recurly_account(customer, email=email))
        body = _json(samples.recurly_notification(subscription, "canceled"))
        return body, signing.recurly_headers(body, first("recurly_webhook_secret"))
    body = _json(samples.standard_cancellation(subscription, email=email))
    return body, signing.standard_headers(body, first("webhook_secret"))


def _json(document: dict) -> bytes:
    return json.dumps(document).encode()


def _put(standin: str, provider: str, collection: str, item_id: str, document: dict) -> None:
    httpx.put(f"{standin}/_standin/{provider}/{collection}/{item_id}", json=document, timeout=5).raise_for_status()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m billing_bridge publish-sample", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--via", choices=PROVIDERS, required=True)
    parser.add_argument("--bridge", default=os.environ.get("BILLING_BRIDGE_URL", "http://127.0.0.1:8003"))
    parser.add_argument("--standin", default=os.environ.get("BILLING_STANDIN_URL", "http://127.0.0.1:8090"))
    parser.add_argument("--subscription", default=None)
    args = parser.parse_args(argv)
    subscription = args.subscription or f"sub_{uuid.uuid4().hex[:8]}"
    email = f"{subscription}@example.com"
    try:
        body, headers = webhook(args.via, Settings(), args.standin, subscription, email)
        answer = httpx.post(args.bridge + PATHS[args.via], content=body, headers=headers, timeout=10)
    except httpx.HTTPError as error:
        raise SystemExit(
            f"error: could not reach the bridge or the stand-in ({error}); is `make run` running?"
        ) from None
    print(f"{args.via} webhook for {subscription} ({email}): {answer.status_code} {answer.text}", file=sys.stderr)
    if answer.status_code == 200:
        print(
            f"then: curl -H 'Authorization: Bearer dev-viewer' localhost:8000/v1/subscriptions/{subscription}/journey"
            "  (and the email in .local/mail/new)",
            file=sys.stderr,
        )
    else:
        raise SystemExit(1)
