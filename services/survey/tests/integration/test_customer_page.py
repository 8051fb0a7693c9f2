"""The customer's own page through Kafka and PostgreSQL: the orchestrator's signed updates make and keep it current
(an older one is ignored), the page answers by its token only, the help form becomes a signed message to the
orchestrator and stays here, the survey is answered inline, the company links are counted on the way out, and
the page outlives the erasure with nothing personal on it. Attacks: forged tokens, hostile form text, floods,
posts from another site."""

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shared.events.commands import ErasePersonalData, UpdateCustomerPage
from shared.sealing import Sealed, seal, unseal
from shared.testing import read_topic, wait_until
from survey.adapters.tables import consents, customer_pages, help_requests, page_activity
from survey.bootstrap import bootstrap
from survey.service_layer.customer_pages import VisitTally, token_hash

from .conftest import Orchestrator, client, running

pytestmark = pytest.mark.integration
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HOSTILE = '<script>alert(1)</script>"\r\nBcc: x@evil.example'


def page_update(journey_id: str, token: str, keys, **changes) -> UpdateCustomerPage:
    now = datetime.now(UTC)
    values = dict(
        journey_id=journey_id,
        subscription_id=f"sub_{journey_id[:8]}",
        customer_id=f"cus_{journey_id[:8]}",
        page_token_hash=token_hash(token),
        segment="b2b",
        template="b2b-voluntary",
        variant=None,
        initiated_by="customer",
        status="active",
        plan="Pro",
        locale="en",
        timezone="Europe/Berlin",
        cancelled_at=now - timedelta(days=1),
        effective_at=now + timedelta(days=12),
        deletion_at=now + timedelta(days=42),
        updated_at=now,
        sealed_account_manager=seal(keys.seal, journey_id, {"account_manager": "Grace Hopper"}),
    )
    return UpdateCustomerPage(**(values | changes))


async def page_of(survey, journey_id: str):
    async with survey.sessions() as session:
        return (
            await session.execute(sa.select(customer_pages).where(customer_pages.c.journey_id == journey_id))
        ).first()


async def test_the_page_follows_the_journey_and_takes_help_and_the_survey(settings_for):
    settings = settings_for(export_url="https://app.acme.example/export?s={subscription_id}")
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        command_id, created = await orchestrator.create_survey(segment="b2b")
        journey_id, token = created.journey_id, secrets.token_urlsafe(16)
        keys = await orchestrator.keys(journey_id)
        first = page_update(journey_id, token, keys, subscription_id=created.subscription_id)
        await orchestrator.send(str(uuid.uuid4()), first)
        await orchestrator.survey_url(command_id)  # the survey exists
        await wait_until(lambda: page_of(survey, journey_id))
        async with client(survey) as http:
            page = await http.get(f"/p/{token}")
            german = await http.get(f"/p/{token}?lang=de")
            forged = await http.get(f"/p/{secrets.token_urlsafe(16)}")
            helped = await http.post(
                f"/p/{token}/help", headers=FORM, content=f"topic=billing&reach_by=email&message={HOSTILE}"
            )
            after_help = await http.get(helped.headers["location"])
            refused = await http.post(f"/p/{token}/help", headers=FORM, content="topic=billing&reach_by=phone&phone=x")
            answered = await http.post(f"/p/{token}/survey", headers=FORM, content="reason=too_expensive&score=4")
            after_answer = await http.get(answered.headers["location"])
            exported = await http.get(f"/p/{token}/go/export")
        # The orchestrator pauses the journey; an older update arriving late changes nothing.
        paused = page_update(journey_id, token, keys, status="paused", updated_at=datetime.now(UTC))
        stale = page_update(journey_id, token, keys, status="active", updated_at=first.updated_at - timedelta(hours=1))
        await orchestrator.send(str(uuid.uuid4()), paused)
        await orchestrator.send(str(uuid.uuid4()), stale)
        await wait_until(lambda: _status_is(survey, journey_id, "paused"))
        async with client(survey) as http:
            paused_page = await http.get(f"/p/{token}")
        told = await read_topic(
            settings.kafka_bootstrap_servers,
            settings.topic_step_results,
            until=lambda rs: any(json.loads(r.value)["type"] == "offboarding.customer.asked_for_help" for r in rs),
        )
        await next(w for w in survey.workers if isinstance(w, VisitTally)).flush()  # visits are written in rounds
        async with survey.sessions() as session:
            kept = (await session.execute(sa.select(help_requests))).all()
            activity = dict((await session.execute(sa.select(page_activity.c.what, page_activity.c.count))).all())
        (answer,) = await orchestrator.answers({journey_id})
        async with client(survey) as http:
            window = {"from": (first.cancelled_at - timedelta(minutes=1)).isoformat(), "template": "b2b-voluntary"}
            figures = (
                await http.get("/v1/insights", params=window, headers={"Authorization": "Bearer viewer-token"})
            ).json()["customer_pages"]

    assert page.status_code == 200 and 'lang="en"' in page.text
    assert "Your Pro subscription is cancelled" in page.text and "(in 12 days)" in page.text
    assert "Grace Hopper" in page.text, "b2b: the account manager, opened from the sealed update"
    assert 'id="survey"' in page.text and 'action="/p/' in page.text
    assert (
        page.headers["cache-control"] == "no-store"
        and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    )
    assert german.status_code == 200 and 'lang="de"' in german.text and "in 12 Tagen" in german.text
    assert forged.status_code == 404
    assert helped.status_code == 303 and after_help.status_code == 200
    assert "We got your request" in after_help.text and 'role="status"' in after_help.text
    assert refused.status_code == 422 and 'id="help-phone-error"' in refused.text
    assert answered.status_code == 303 and "Thank you: your answer has reached us." in after_answer.text
    assert (answer["data"]["reason"], answer["data"]["score"]) == ("too_expensive", 4)
    assert exported.status_code == 303
    assert exported.headers["location"] == f"https://app.acme.example/export?s={created.subscription_id}"
    assert "emails about your cancellation are on hold" in paused_page.text
    (request,) = kept
    assert request.message.startswith("<script>alert(1)</script>") and "\r" not in request.message
    (asked,) = [json.loads(r.value) for r in told if json.loads(r.value)["type"].endswith("asked_for_help")]
    assert (asked["data"]["journey_id"], asked["data"]["topic"], asked["data"]["reach_by"]) == (
        journey_id,
        "billing",
        "email",
    )
    assert "message" not in asked["data"], "what the customer wrote travels only sealed"
    words = unseal(keys.seal, Sealed.model_validate(asked["data"]["sealed_help"]))
    assert words == {"message": request.message, "phone": None}
    assert activity == {"visit": 5, "help_request": 1, "survey_answer": 1, "export_click": 1}
    (row,) = [f for f in figures if f["template"] == "b2b-voluntary"]
    assert (row["pages"], row["visited"], row["visits"], row["help_requests"], row["export_clicks"]) == (1, 1, 5, 1, 1)
    assert row["reactivated_after_visit"] == 0


async def test_the_contact_preference_is_a_consent_record_told_to_the_orchestrator_and_a_new_link_moves_the_page(
    settings_for,
):
    settings = settings_for()
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        journey_id, token, new_token = str(uuid.uuid4()), secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        keys = await orchestrator.keys(journey_id)
        first = page_update(journey_id, token, keys, marketing_consent=False)
        await orchestrator.send(str(uuid.uuid4()), first)
        await wait_until(lambda: page_of(survey, journey_id))
        async with client(survey) as http:
            hostile = await http.post(f"/p/{token}/contact", headers=FORM, content=f"marketing={HOSTILE}")
            opted_in = await http.post(f"/p/{token}/contact", headers=FORM, content="marketing=yes")
            shown = await http.get(opted_in.headers["location"])
            again = await http.post(f"/p/{token}/contact", headers=FORM, content="marketing=yes")
            opted_out = await http.post(f"/p/{token}/contact", headers=FORM, content="marketing=no")
        told = await read_topic(
            settings.kafka_bootstrap_servers,
            settings.topic_step_results,
            until=lambda rs: sum(json.loads(r.value)["type"].endswith("marketing_consent_changed") for r in rs) >= 2,
        )
        # Support gave the page a new link: the orchestrator's next update carries its hash.
        moved = page_update(journey_id, new_token, keys, updated_at=datetime.now(UTC), marketing_consent=False)
        await orchestrator.send(str(uuid.uuid4()), moved)

        async def moved_to_the_new_link():
            found = await page_of(survey, journey_id)
            return found is not None and found.token_hash == token_hash(new_token)

        await wait_until(moved_to_the_new_link)
        async with client(survey) as http:
            old_link, new_link = await http.get(f"/p/{token}"), await http.get(f"/p/{new_token}")
        async with survey.sessions() as session:
            records = (await session.execute(sa.select(consents).where(consents.c.journey_id == journey_id))).all()
    assert hostile.status_code == 422 and "Choose yes or no." in hostile.text
    assert opted_in.status_code == 303 and "now and then we may email you an offer" in shown.text
    assert "Your choice is saved" in shown.text
    assert again.status_code == 303 and opted_out.status_code == 303
    assert [(r.marketing_consent, r.source) for r in sorted(records, key=lambda r: r.recorded_at)] == [
        (True, "customer_page"),
        (False, "customer_page"),
    ], "one record per change; choosing what is already set records nothing"
    changes = [json.loads(r.value)["data"] for r in told if json.loads(r.value)["type"].endswith("consent_changed")]
    assert [(c["journey_id"], c["marketing_consent"]) for c in changes] == [(journey_id, True), (journey_id, False)]
    assert old_link.status_code == 404 and new_link.status_code == 200


async def _status_is(survey, journey_id: str, status: str) -> bool:
    found = await page_of(survey, journey_id)
    return found is not None and found.status == status


async def test_after_erasure_the_page_shows_the_dates_and_nothing_personal(settings_for):
    settings = settings_for()
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        journey_id, token = str(uuid.uuid4()), secrets.token_urlsafe(16)
        keys = await orchestrator.keys(journey_id)
        await orchestrator.send(str(uuid.uuid4()), page_update(journey_id, token, keys))
        await wait_until(lambda: page_of(survey, journey_id))
        async with client(survey) as http:
            await http.post(f"/p/{token}/help", headers=FORM, content="topic=other&reach_by=phone&phone=%2B4930123456")
        await orchestrator.erase_keys(journey_id)
        erase = ErasePersonalData(
            journey_id=journey_id, subscription_id=f"sub_{journey_id[:8]}", customer_id=f"cus_{journey_id[:8]}"
        )
        await orchestrator.send(str(uuid.uuid4()), erase)

        async def erased():
            found = await page_of(survey, journey_id)
            return found is not None and found.erased_at is not None

        await wait_until(erased)
        async with client(survey) as http:
            page = await http.get(f"/p/{token}")
            help_after = await http.post(f"/p/{token}/help", headers=FORM, content="topic=other&reach_by=email")
            export_after = await http.get(f"/p/{token}/go/export")
        async with survey.sessions() as session:
            kept = (await session.execute(sa.select(help_requests))).one()
    assert page.status_code == 200 and "Your personal data has been deleted" in page.text
    assert "Grace Hopper" not in page.text and "<form" not in page.text
    assert help_after.status_code == 409, "no new personal data after the erasure"
    assert export_after.status_code == 200 and "/go/" not in export_after.text
    assert (kept.message, kept.phone, kept.topic) == (None, None, "other")


async def test_floods_foreign_posts_and_hostile_tokens_are_refused(settings_for):
    settings = settings_for(page_views_burst=3, page_views_per_second=0.01)
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        journey_id, token = str(uuid.uuid4()), secrets.token_urlsafe(16)
        keys = await orchestrator.keys(journey_id)
        await orchestrator.send(str(uuid.uuid4()), page_update(journey_id, token, keys))
        await wait_until(lambda: page_of(survey, journey_id))
        async with client(survey) as http:
            too_large = await http.post(f"/p/{token}/help", headers=FORM, content="message=" + "x" * 20_000)
            views = [(await http.get(f"/p/{token}")).status_code for _ in range(4)]
            foreign = await http.post(
                f"/p/{secrets.token_urlsafe(16)}/help",
                headers=FORM | {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                content="topic=billing&reach_by=email",
            )
            hostile = [
                (await http.get(path)).status_code
                for path in (
                    "/p/..%2F..%2Fetc",
                    "/p/%00%0d%0a",
                    "/p/" + "A" * 500,
                    "/p/x';DROP TABLE x;--",
                    f"/p/{'A' * 22}/go/elsewhere",
                    f"/p/{'A' * 22}/go/null%2Cnull?lang=",
                )
            ]
    assert too_large.status_code == 413 and "too long" in too_large.text
    assert views == [200, 200, 200, 429]
    assert foreign.status_code == 403
    assert set(hostile) <= {400, 404}, "a page saying so, never a 5xx"
