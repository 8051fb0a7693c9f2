"""Sample billing events, for trying the system out (`make publish-sample`) and for tests.

python -m orchestrator publish-sample [--segment b2b] [--initiated-by payment_failure] [--consent]
                                      [--effective-in P30D] [--subscription sub_x] [--reactivate] [--hostile]
python -m orchestrator publish-sample --file my-event.json   (your own event, checked first)
"""

import argparse
import asyncio
import email
import email.policy
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestrator.config import Settings
from orchestrator.domain.templates import parse_duration
from orchestrator.tools.hostile_events import hostile_cases
from shared.events.envelope import CloudEvent, InvalidMessage, parse_kafka_message
from shared.events.subscription import SubscriptionCancelled, billing_events
from shared.messaging.producer import create_producer


def cancellation(
    subscription_id: str,
    *,
    segment: str = "b2c",
    initiated_by: str = "customer",
    consent: bool = False,
    cancelled_at: datetime | None = None,
    effective_in: timedelta = timedelta(days=30),
    email: str | None = None,
    event_id: str | None = None,
    **data: Any,
) -> CloudEvent:
    cancelled_at = cancelled_at or datetime.now(UTC)
    customer = {
        "email": email or f"{subscription_id}@example.com",
        "name": "Ada Lovelace",
        "locale": "en",
        "timezone": "Europe/Berlin",
        "segment": segment,
        "company": "Analytical Engines Ltd" if segment == "b2b" else None,
    }
    return CloudEvent(
        specversion="1.0",
        id=event_id or f"evt_{uuid.uuid4().hex[:12]}",
        source="billing/sample",
        type="subscription.cancelled",
        time=cancelled_at,
        datacontenttype="application/json",
        data={
            "subscription_id": subscription_id,
            "customer_id": f"cus_{subscription_id}",
            "customer": customer,
            "plan": "pro-monthly",
            "initiated_by": initiated_by,
            "reason": "too_expensive",
            "cancelled_at": cancelled_at.isoformat(),
            "effective_at": (cancelled_at + effective_in).isoformat(),
            "marketing_consent": consent,
            **data,
        },
    )


def reactivation(subscription_id: str, *, reactivated_at: datetime | None = None) -> CloudEvent:
    reactivated_at = reactivated_at or datetime.now(UTC)
    return CloudEvent(
        specversion="1.0",
        id=f"evt_{uuid.uuid4().hex[:12]}",
        source="billing/sample",
        type="subscription.reactivated",
        time=reactivated_at,
        datacontenttype="application/json",
        data={
            "subscription_id": subscription_id,
            "customer_id": f"cus_{subscription_id}",
            "reactivated_at": reactivated_at.isoformat(),
        },
    )


def read_file(path: str, settings: Settings) -> tuple[str, str, bytes]:
    """A billing engineer's own event from a file: (topic, key, the bytes) once it reads as the orchestrator would
    read it; else SystemExit naming the problem as the dead-letter topic would (error.reason, error.detail)."""
    try:
        value = Path(path).read_bytes()
    except OSError as error:
        raise SystemExit(f"error: cannot read {path}: {error.strerror}") from None
    try:
        event = parse_kafka_message(value, [])
        data = billing_events.read(event)
    except InvalidMessage as error:
        raise SystemExit(
            f"refused, as the DLQ would say: error.reason={error.reason} error.detail={error.detail}"
        ) from None
    topic = (
        settings.topic_subscription_cancelled
        if isinstance(data, SubscriptionCancelled)
        else settings.topic_subscription_reactivated
    )
    return topic, data.subscription_id, value


async def publish(args: argparse.Namespace) -> None:
    settings = Settings()
    if args.file:
        topic, key, value = read_file(args.file, settings)
        producer = create_producer(
            settings.kafka_bootstrap_servers, client_id="publish-sample", options=settings.kafka_options()
        )
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key.encode())
        finally:
            await producer.stop()
        print(f"published {args.file} to {topic} with key {key}")
        return
    subscription = args.subscription or f"sub_{uuid.uuid4().hex[:8]}"
    producer = create_producer(
        settings.kafka_bootstrap_servers, client_id="publish-sample", options=settings.kafka_options()
    )
    await producer.start()
    try:
        if args.hostile:
            for case in hostile_cases(uuid.uuid4().hex[:6]):
                await producer.send_and_wait(
                    settings.topic_subscription_cancelled, case.value, key=case.subscription_id.encode()
                )
                print(f"published {case.name}: expect {case.outcome}")
            return
        if args.reactivate:
            event, topic = reactivation(subscription), settings.topic_subscription_reactivated
        else:
            event = cancellation(
                subscription,
                segment=args.segment,
                initiated_by=args.initiated_by,
                consent=args.consent,
                effective_in=parse_duration(args.effective_in),
            )
            topic = settings.topic_subscription_cancelled
        await producer.send_and_wait(topic, event.to_json_bytes(), key=subscription.encode())
    finally:
        await producer.stop()
    print(f"published {event.type} {event.id} for subscription {subscription} to {topic}")
    if not args.reactivate and args.mail_dir:
        link = await page_link(Path(args.mail_dir), subscription, within=args.wait)
        print(
            f"the customer's page: {link}"
            if link
            else f"no email for {subscription} in {args.mail_dir} within {args.wait:.0f} s: is `make run` up?"
        )


PAGE_LINK = re.compile(r"https?://\S+/p/[A-Za-z0-9_-]{16,64}")


async def page_link(maildir: Path, subscription: str, *, within: float) -> str | None:
    """The customer's page, read from the first email the sample's journey sent (the local SMTP sink's Maildir):
    its links name the subscription, and every email links to the page."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        for path in sorted((maildir / "new").glob("*")) if (maildir / "new").is_dir() else ():
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            if subscription in text and (found := PAGE_LINK.search(text)):
                return found.group(0)
        await asyncio.sleep(0.5)
    return None


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator publish-sample",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--segment", choices=["b2c", "b2b"], default="b2c")
    parser.add_argument("--initiated-by", choices=["customer", "merchant", "payment_failure"], default="customer")
    parser.add_argument("--consent", action="store_true", help="marketing consent given")
    parser.add_argument("--effective-in", default="P30D", help="ISO-8601 duration until access ends")
    parser.add_argument("--subscription", help="subscription id (default: a random one)")
    parser.add_argument("--reactivate", action="store_true", help="publish a reactivation of --subscription")
    parser.add_argument(
        "--hostile", action="store_true", help="publish the attack corpus (docs/input-limits.md), each case's outcome"
    )
    parser.add_argument(
        "--mail-dir",
        default=".local/mail",
        help="the local SMTP sink's Maildir, to print the customer's page from the first email ('' to skip)",
    )
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for that email")
    parser.add_argument(
        "--file",
        help="publish your own event (a structured CloudEvent, JSON) after reading it as the orchestrator does",
    )
    asyncio.run(publish(parser.parse_args(argv)))
