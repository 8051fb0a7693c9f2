"""The customer's own page with all three services over the real broker, database and SMTP sink: the
confirmation email links to it, the page shows the journey's dates, the help form puts the journey on support's
attention list (through Kafka), and a reactivation turns the page into a welcome back."""

import re
import shutil

import httpx
import pytest

from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.tools.sample_events import cancellation, reactivation
from shared.messaging.producer import create_producer

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
