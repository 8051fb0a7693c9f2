"""The customer's own page with all three services over the real broker, database and SMTP sink: the
confirmation email links to it, the page shows the journey's dates, the help form puts the journey on support's
attention list (through Kafka) and is acknowledged by email (and handed to a b2b account's helpdesk with the
customer's words), a contact preference becomes the journey's consent, a revoked link stops working, and a
reactivation turns the page into a welcome back."""

import re
import shutil

import httpx
import pytest

from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.tools.sample_events import cancellation, reactivation
from shared.messaging.producer import create_producer

from .conftest import Crm
from .test_journey_across_services import all_services, mails, wait_until_value

pytestmark = pytest.mark.integration


async def test_the_email_links_to_the_page_which_follows_the_journey_and_takes_a_help_request(
    database_url, kafka_bootstrap, unique_name, smtp_sink, tmp_path
):
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    subscription, address = f"sub_{unique_name}", f"{unique_name}@example.com"
    async with all_services(database_url, kafka_bootstrap, unique_name, smtp_sink, templates) as (o, _n, s):
        producer = create_producer(kafka_bootstrap, client_id="billing")
        await producer.start()
        try:
            event = cancellation(subscription, email=address)
            await producer.send_and_wait(
                o.settings.topic_subscription_cancelled, event.to_json_bytes(), key=subscription.encode()
            )

            async def confirmation():
                return next((m for m in mails(smtp_sink.maildir, address) if "ends on" in m["Subject"]), None)

            mail = await wait_until_value(confirmation)
            text = mail.get_body(("plain",)).get_content()
            html = mail.get_body(("html",)).get_content()
            path = re.search(r"http://survey\.test(/p/[A-Za-z0-9_-]{22})\b", text).group(1)
            assert f'href="http://survey.test{path}"' in html, "the HTML part links to the page too"
            customer = httpx.AsyncClient(transport=httpx.ASGITransport(app=s.http_app), base_url="http://survey.test")
            staff = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=o.http_app),
                base_url="http://o",
                headers={"Authorization": "Bearer viewer-token"},
            )
            async with customer, staff:
                page = await customer.get(path)
                helped = await customer.post(
                    f"{path}/help", data={"topic": "data_export", "reach_by": "email", "message": "Where is my CSV?"}
                )

                async def help_on_the_timeline():
                    journey = (await staff.get(f"/v1/subscriptions/{subscription}/journey")).json()
                    return next((e for e in journey["timeline"] if e["what"] == "help_requested"), None)

                noted = await wait_until_value(help_on_the_timeline)

                async def acknowledged():
                    return next(
                        (m for m in mails(smtp_sink.maildir, address) if "request for help" in m["Subject"]), None
                    )

                ack = await wait_until_value(acknowledged)
                chose = await customer.post(f"{path}/contact", data={"marketing": "yes"})
                chosen = await customer.get(f"{path}?done=contact")

                async def consent_on_the_journey():
                    journey = (await staff.get(f"/v1/subscriptions/{subscription}/journey")).json()
                    return next((e for e in journey["timeline"] if e["what"] == "marketing_consent_changed"), None)

                consent = await wait_until_value(consent_on_the_journey)
                later = reactivation(subscription)
                await producer.send_and_wait(
                    o.settings.topic_subscription_reactivated, later.to_json_bytes(), key=subscription.encode()
                )

                async def welcomed():
                    shown = await customer.get(path)
                    return shown if "Welcome back" in shown.text else None

                welcome = await wait_until_value(welcomed)
        finally:
            await producer.stop()
    assert page.status_code == 200 and "subscription is cancelled" in page.text and "Key dates" in page.text
    assert helped.status_code == 303
    assert noted["details"] == {"topic": "data_export", "reach_by": "email"}, "no free text leaves the survey service"
    assert "Where is my CSV?" not in str(noted)
    assert welcome.status_code == 200 and "/go/export" not in welcome.text
    assert ack["X-Offboarding-Step"] == "help_received_1"
    ack_text = ack.get_body(("plain",)).get_content()
    assert "about your data and its export" in ack_text and "by email" in ack_text
    assert "Where is my CSV?" not in ack_text, "the acknowledgement does not repeat what was written"
    assert chose.status_code == 303 and "now and then we may email you an offer" in chosen.text
    assert consent["details"] == {"marketing_consent": True, "source": "customer_page"}


async def test_a_b2b_request_for_help_reaches_the_helpdesk_with_the_customers_words_and_a_revoked_link_dies(
    database_url, kafka_bootstrap, unique_name, smtp_sink, crm
):
    subscription, address = f"sub_{unique_name}", f"{unique_name}@example.com"
    async with all_services(
        database_url, kafka_bootstrap, unique_name, smtp_sink, SHIPPED_TEMPLATES, webhook_url=crm
    ) as (o, _n, s):
        producer = create_producer(kafka_bootstrap, client_id="billing")
        await producer.start()
        try:
            event = cancellation(subscription, segment="b2b", email=address, account_manager="Grace Hopper")
            await producer.send_and_wait(
                o.settings.topic_subscription_cancelled, event.to_json_bytes(), key=subscription.encode()
            )
        finally:
            await producer.stop()

        async def confirmation():
            return next(
                (m for m in mails(smtp_sink.maildir, address) if m["X-Offboarding-Step"] == "confirmation"), None
            )

        mail = await wait_until_value(confirmation)
        path = re.search(r"http://survey\.test(/p/[A-Za-z0-9_-]{22})\b", mail.get_body(("plain",)).get_content()).group(
            1
        )
        customer = httpx.AsyncClient(transport=httpx.ASGITransport(app=s.http_app), base_url="http://survey.test")
        operator = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=o.http_app),
            base_url="http://o",
            headers={"Authorization": "Bearer operator-token"},
        )
        async with customer, operator:
            words = "Our admin left <b>today</b>; who gets the export?"
            asked = await customer.post(
                f"{path}/help",
                data={"topic": "data_export", "reach_by": "phone", "phone": "+49 30 1234567", "message": words},
            )

            async def handed_to_the_helpdesk():
                return next((p for p in Crm.received if p["event"] == "customer_asked_for_help"), None)

            hand_over = await wait_until_value(handed_to_the_helpdesk)
            journey = (await operator.get(f"/v1/subscriptions/{subscription}/journey")).json()
            revoked = await operator.post(
                f"/v1/journeys/{journey['id']}/revoke_page_link", json={"reason": "forwarded"}
            )

            async def old_link_dead():
                return (await customer.get(path)).status_code == 404

            await wait_until_value(old_link_dead)
    assert asked.status_code == 303
    assert hand_over["segment"] == "b2b" and hand_over["customer"]["account_manager"] == "Grace Hopper"
    assert hand_over["step"] == "help_hand_over_1"
    help_facts = hand_over["facts"]["help"]
    assert help_facts["topic"] == "data_export" and help_facts["reach_by"] == "phone"
    assert help_facts["message"] == words and help_facts["phone"] == "+49 30 1234567"
    assert revoked.status_code == 200
    assert any(e["what"] == "page_link_revoked" for e in revoked.json()["timeline"])
