"""What makes two billing events with one (`source`, `id`) "the same" (contract section 1: the first is kept; one
with other content is a `conflicting_duplicate` and dead-lettered).

For most publishers, the whole event. For the billing bridge's events (source `billing-bridge/...`), whose ids
are derived from the cancellation itself (the provider account, the subscription, the moment it was requested),
the fields that define that cancellation: type, subscription and customer. A provider tells of one cancellation
more than once (Stripe: `updated` at the request, `deleted` at the end of the period), and what the bridge reads
around it can change in between (the customer's name or address looked up again, the end of access moved by a
day): the first is kept, the second is a duplicate, not a conflict (docs/billing.md).
"""

import hashlib
import json

from shared.events.envelope import CloudEvent
from shared.inbox.table import fingerprint

DERIVED_SOURCE_PREFIX = "billing-bridge/"


def billing_fingerprint(event: CloudEvent) -> str:
    if not event.source.startswith(DERIVED_SOURCE_PREFIX) or not isinstance(event.data, dict):
        return fingerprint(event)
    defining = {
        "type": event.type,
        "subscription_id": event.data.get("subscription_id"),
        "customer_id": event.data.get("customer_id"),
    }
    return hashlib.sha256(json.dumps(defining, sort_keys=True, ensure_ascii=True).encode()).hexdigest()
