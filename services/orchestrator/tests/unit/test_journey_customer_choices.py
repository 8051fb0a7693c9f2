"""What the customer does on their own page reaches the journey: a help request is answered by email (and handed
to a b2b account's helpdesk) whatever the journey's status; a contact preference becomes its marketing consent."""

from datetime import timedelta

import pytest

from orchestrator.domain.effects import Note, changes_the_page
from orchestrator.domain.journey import InvalidTransition
from orchestrator.domain.journey_state import MAX_HELP_ANSWERS
from orchestrator.domain.templates import Template

from .journeys import T0, dispatched, policy, respond, start, statuses, succeed_everything

H = timedelta(hours=1)
M = timedelta(minutes=1)  # before the exit survey's hour
POLICY = policy()
SEALED = {"kid": "k", "nonce": "n", "ciphertext": "c"}


def ask(journey, n: int, now, **changes) -> bool:
    request = {"request_id": f"req-{n}", "topic": "billing", "reach_by": "email", "requested_at": now} | changes
    return journey.help_requested(**request, sealed_help=SEALED, now=now, policy=POLICY)


def test_a_consumers_help_request_is_acknowledged_by_email_at_once():
    journey = start()
    dispatched(journey)
    assert ask(journey, 1, T0 + M) is True
    assert dispatched(journey) == [("help_received_1", 1)]
    step = journey.step("help_received_1")
    assert step.spec.channel == "email" and step.spec.message == "help_received"
    assert journey.facts["help_requests"][0] == {
        "request_id": "req-1",
        "topic": "billing",
        "reach_by": "email",
        "requested_at": (T0 + M).isoformat(),
        "sealed_help": SEALED,
    }
    assert ask(journey, 1, T0 + 2 * H) is False, "the same request again (redelivered) answers nothing"
    assert [s.name for s in journey.steps].count("help_received_1") == 1


def test_a_b2b_request_also_goes_to_the_helpdesk_through_the_webhook_channel():
    journey = start(segment="b2b")
    dispatched(journey)
    ask(journey, 1, T0 + M, topic="data_export", reach_by="phone")
    assert dispatched(journey) == [("help_received_1", 1), ("help_hand_over_1", 1)]
    hand_over = journey.step("help_hand_over_1").spec
    assert hand_over.channel == "webhook" and hand_over.message == "customer_asked_for_help"


@pytest.mark.parametrize("status", ["paused", "cancelled"])
def test_help_is_answered_whatever_the_journeys_status_and_retried_after_a_failure(status):
    journey = start()
    if status == "paused":
        journey.pause(T0, by="op", reason="checking")
    else:
        journey.cancel(T0, by="op", reason="test")
    assert journey.status == status
    now = T0 + timedelta(days=3)
    dispatched(journey)
    ask(journey, 1, now)
    assert dispatched(journey) == [("help_received_1", 1)]
    respond(journey, "help_received_1", "failed", now, POLICY, reason="451 try later")
    retry_at = journey.step("help_received_1").due_at
    assert journey.step("help_received_1").status == "scheduled" and retry_at > now, "tried again later"
    if status != "paused":  # a paused journey's timer waits for the resume
        journey.timer_due(retry_at, POLICY)
        assert dispatched(journey) == [("help_received_1", 2)]
    assert journey.status == status, "answering the customer does not reopen or end the journey"


def test_a_flood_of_requests_from_one_link_is_no_flood_of_email():
    journey = start()
    for n in range(1, MAX_HELP_ANSWERS + 3):
        ask(journey, n, T0 + n * H)
    names = [s.name for s in journey.steps if s.name.startswith("help_received_")]
    assert names == [f"help_received_{n}" for n in range(1, MAX_HELP_ANSWERS + 1)]


def test_no_answer_once_the_personal_data_is_erased():
    journey = start()
    journey.erase_personal_data(T0, by="op", reason="asked")
    assert ask(journey, 1, T0 + H) is False
    assert not any(name.startswith("help_") for name in statuses(journey))


def test_a_template_may_not_name_its_steps_like_the_help_answers():
    with pytest.raises(ValueError, match="reserved"):
        Template.model_validate(
            {
                "name": "tt",
                "version": 1,
                "steps": [
                    {"name": "help_received_1", "kind": "notify", "message": "thank_you", "at": {"anchor": "start"}}
                ],
            }
        )


def test_the_customers_contact_choice_becomes_the_journeys_consent_and_changes_the_page():
    journey = start(consent=False)
    journey.effects.clear()
    assert journey.marketing_consent_changed(True, T0 + H, T0 + H, source="customer_page") is True
    assert journey.facts["marketing_consent"] is True and journey.condition_facts()["marketing_consent"] is True
    assert journey.updated_at == T0 + H
    (note,) = [e for e in journey.effects if isinstance(e, Note)]
    assert note.details == {"marketing_consent": True, "source": "customer_page"}
    assert changes_the_page(journey.effects)
    assert journey.marketing_consent_changed(False, T0, T0 + 2 * H, source="customer_page") is False, "older"
    assert journey.marketing_consent_changed(False, T0 + 2 * H, T0 + 2 * H, source="unsubscribe_link") is True
    assert journey.facts["marketing_consent"] is False


def test_an_opt_out_before_the_win_back_offer_skips_it():
    journey = start(consent=True)
    journey.marketing_consent_changed(False, T0 + H, T0 + H, source="customer_page")
    succeed_everything(journey, T0 + timedelta(days=200), POLICY)
    assert statuses(journey)["win_back_offer"] == "skipped"


def test_support_revokes_the_page_link_and_the_page_follows():
    journey = start()
    journey.facts["page_token"] = "old-token-0123456789ab"
    journey.effects.clear()
    journey.revoke_page_link("new-token-0123456789ab", T0 + H, by="op", reason="forwarded to a stranger")
    assert journey.facts["page_token"] == "new-token-0123456789ab" and journey.updated_at == T0 + H
    assert changes_the_page(journey.effects)
    journey.erase_personal_data(T0 + 2 * H, by="op", reason="asked")
    with pytest.raises(InvalidTransition):
        journey.revoke_page_link("third-token-0123456789", T0 + 3 * H, by="op", reason="again")
