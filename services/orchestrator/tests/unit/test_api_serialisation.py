"""The journey routes serialise their dicts directly (shared.http.json_response), skipping FastAPI's response
validation: the bytes must be what the response model would have produced."""

import json
import uuid
from datetime import UTC, datetime

from orchestrator.entrypoints.schemas import JourneyPage
from shared.http import json_response

AT = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC)


def resource(**changes) -> dict:
    return {
        "id": uuid.uuid4(),
        "subscription_id": "sub_1",
        "customer_id": "cus_1",
        "status": "active",
        "template": "b2c-voluntary",
        "template_version": 1,
        "segment": "b2c",
        "initiated_by": "customer",
        "reason": None,
        "plan": "pro",
        "cancelled_at": AT,
        "effective_at": AT,
        "started_at": AT,
        "updated_at": AT,
        "ended_at": None,
        "erased_at": None,
        "survey": {"score": 4},
        "steps": [
            {
                "name": "confirmation",
                "kind": "notify",
                "status": "succeeded",
                "due_at": AT,
                "attempts": 1,
                "last_error": None,
                "completed_at": AT,
            }
        ],
        "timeline": [{"at": AT, "what": "started", "details": {"template": "b2c-voluntary"}}],
    } | changes


def test_the_direct_json_is_the_response_models_json():
    page = {"items": [resource(), resource(email="ada@example.com")], "next_cursor": "abc"}
    direct = json.loads(json_response(page).body)
    through_model = json.loads(JourneyPage.model_validate(page).model_dump_json(exclude_unset=True))
    assert direct == through_model
