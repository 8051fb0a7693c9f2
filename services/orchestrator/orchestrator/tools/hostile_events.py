"""The attack corpus: billing events a careless integrator or an attacker might publish, each with the outcome
the input limits promise (docs/input-limits.md). Tests publish them and check each outcome, then that a good
event after them still gets its journey; `make publish-sample ARGS=--hostile` publishes them by hand.

Every case carries unique markers in its personal data (email, name) so that tests can grep logs for them.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class HostileCase:
    name: str
    subscription_id: str
    value: bytes  # what goes on the topic, unchanged
    # "journey" (cleaned or defaulted, then off-boarded as usual) or "dlq:<error.reason>"
    outcome: str
    email: str
    recipient: dict[str, Any] = field(default_factory=dict)  # what the confirmation's recipient must say


def _event(sub: str, marker: str, *, event_id: str | None = None, **changes: Any) -> dict:
    now = datetime.now(UTC)
    customer = {
        "email": f"{marker}@example.com",
        "name": f"Ada {marker}",
        "locale": "en",
        "timezone": "Europe/Berlin",
        "segment": "b2c",
    } | changes.pop("customer", {})
    data = {
        "subscription_id": sub,
        "customer_id": f"cus_{sub}",
        "customer": customer,
        "plan": "pro-monthly",
        "initiated_by": "customer",
        "reason": "too_expensive",
        "cancelled_at": now.isoformat(),
        "effective_at": (now + timedelta(days=30)).isoformat(),
    } | changes
    return {
        "specversion": "1.0",
        "id": event_id or f"evt_{uuid.uuid4().hex[:12]}",
        "source": "billing/hostile",
        "type": "subscription.cancelled",
        "time": now.isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def hostile_cases(prefix: str) -> list[HostileCase]:
    """The corpus, with subscription ids and markers unique to `prefix` (a test's name)."""
    cases = []
    now = datetime.now(UTC)

    def case(name: str, outcome: str, recipient: dict | None = None, *, raw: bytes | None = None, **changes):
        sub = f"sub_{prefix}_{name}"
        marker = f"zq{uuid.uuid4().hex[:10]}"
        document = _event(sub, marker, **changes)
        value = raw if raw is not None else json.dumps(document).encode()
        cases.append(HostileCase(name, sub, value, outcome, f"{marker}@example.com", recipient or {}))

    case("epoch_effective", "journey", effective_at="1970-01-02T00:00:00Z")
    case("long_past_effective", "journey", effective_at=(now - timedelta(days=37)).isoformat())
    case("year_9999_effective", "dlq:invalid_data", effective_at="9999-12-31T23:59:59Z")
    case("nul_in_name", "journey", {"name": "Ada NUL"}, customer={"name": "Ada\x00NUL"})
    case("crlf_in_name", "journey", {"name": "Ada Bcc: x@evil.test"}, customer={"name": "Ada\r\nBcc: x@evil.test"})
    case("vertical_tab_in_name", "journey", {"name": "Ada VT"}, customer={"name": "Ada\x0bVT"})
    case("second_recipient_in_name", "journey", customer={"name": "Évé Zq <attacker@evil.test>, x"})
    case("encoded_word_in_name", "journey", customer={"name": "=?utf-8?q?attacker=40evil=2Etest?= z"})
    case("template_syntax_in_name", "journey", {"name": "Zq {{ 7*7 }}"}, customer={"name": "Zq {{ 7*7 }}"})
    case("html_in_name", "journey", customer={"name": "<script>alert(1)</script>"})
    case("directory_as_timezone", "journey", {"timezone": "UTC"}, customer={"timezone": "America"})
    case("path_as_locale", "journey", {"locale": "en"}, customer={"locale": "../../etc"})
    case("nul_in_subscription_id", "dlq:invalid_data", subscription_id="sub\x00x")
    case("not_json", "dlq:not_json", raw=b'{"specversion": "1.0", "id": ')
    case("deeply_nested", "dlq:not_json", raw=b"[" * 50_000 + b"]" * 50_000)
    case("nul_in_event_id", "dlq:invalid_envelope", event_id="evt\x00x")
    # A non-ASCII local part needs SMTPUTF8 (the local sink offers it): it is sent, not silently dropped.
    cases.append(_international_address(prefix))
    return cases


def _international_address(prefix: str) -> HostileCase:
    sub = f"sub_{prefix}_international_address"
    marker = f"zqä{uuid.uuid4().hex[:10]}"
    document = _event(sub, marker.replace("ä", ""), customer={"email": f"{marker}@example.com"})
    return HostileCase("international_address", sub, json.dumps(document).encode(), "journey", f"{marker}@example.com")


def conflicting_pair(prefix: str) -> tuple[bytes, bytes]:
    """Two different events that reuse one (source, id): the first is kept, the second dead-lettered."""
    event_id = f"evt_{uuid.uuid4().hex[:12]}"
    first = _event(f"sub_{prefix}_conflict_a", "zqconflicta", event_id=event_id)
    second = _event(f"sub_{prefix}_conflict_b", "zqconflictb", event_id=event_id)
    return json.dumps(first).encode(), json.dumps(second).encode()
