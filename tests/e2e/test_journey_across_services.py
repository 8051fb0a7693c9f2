"""All three services together over the real broker, database and SMTP sink: a cancellation becomes a
confirmation email and an exit survey; a low score answered on the survey page brings the support
follow-up (through Kafka, no shortcut); a b2b customer whose confirmation bounces is handed over to the
account manager through the webhook channel."""

import contextlib
import email
import email.policy
import re
import shutil
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from notifier.bootstrap import bootstrap as notifier_bootstrap
from notifier.config import Settings as NotifierSettings
from orchestrator.bootstrap import bootstrap as orchestrator_bootstrap
from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.config import Settings as OrchestratorSettings
from orchestrator.tools.sample_events import cancellation
from shared.messaging.producer import create_producer
from shared.runtime import start, stop
from shared.testing import free_port, wait_until
from survey.bootstrap import bootstrap as survey_bootstrap
from survey.config import Settings as SurveySettings

from .conftest import Crm

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DSN = ROOT / "services" / "notifier" / "tests" / "integration" / "reports" / "postfix_dsn.eml"


@contextlib.asynccontextmanager
async def all_services(database_url, kafka_bootstrap, unique_name, smtp_sink, templates, **notifier_settings):
    t = unique_name
    shared = dict(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        OFFBOARDING_API_TOKENS="viewer-token:viewer,operator-token:operator",
        topic_partitions=2,
        outbox_idle_seconds=0.02,
    )
    topics = dict(topic_step_results=f"{t}.results", topic_survey_responses=f"{t}.responses")
    orchestrator = orchestrator_bootstrap(
        OrchestratorSettings(
            **shared,
            **topics,
            database_schema=f"{t}_o",
            templates_dir=templates,
            timer_interval_seconds=0.1,
            customer_page_url="http://survey.test",
            topic_subscription_cancelled=f"{t}.cancelled",
            topic_subscription_reactivated=f"{t}.reactivated",
            topic_journey_events=f"{t}.journeys",
            topic_notifier_commands=f"{t}.notifier",
            topic_survey_commands=f"{t}.survey",
        )
    )
    notifier = notifier_bootstrap(
        NotifierSettings(
            **shared,
            database_schema=f"{t}_n",
            keyring_schema=f"{t}_o",
            topic_commands=f"{t}.notifier",
            topic_step_results=f"{t}.results",
            smtp_host=smtp_sink.host,
            smtp_port=smtp_sink.port,
            quiet_hours_start="00:00",
            quiet_hours_end="00:00",
            **({"webhook_url": "http://127.0.0.1:9/unused", "webhook_attempts": 1} | notifier_settings),
        )
    )
    survey = survey_bootstrap(
        SurveySettings(
            **shared,
            **topics,
            database_schema=f"{t}_s",
            keyring_schema=f"{t}_o",
            topic_commands=f"{t}.survey",
            public_url="http://survey.test",
        )
    )
    runtimes = [orchestrator, notifier, survey]
    tasks = [await start(runtime, ROOT / "services" / runtime.name) for runtime in runtimes]
    try:
        yield orchestrator, notifier, survey
    finally:
        for runtime, running in zip(runtimes, tasks, strict=True):
            await stop(runtime, running)


def mails(maildir: Path, address: str) -> list:
    found = []
    for path in sorted((maildir / "new").glob("*")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in (message["To"] or ""):
            found.append(message)
    return found


async def test_a_low_score_on_the_survey_page_brings_the_support_follow_up(
    database_url, kafka_bootstrap, unique_name, smtp_sink, tmp_path
):
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    b2c = templates / "b2c-voluntary.v1.yaml"
    b2c.write_text(
        b2c.read_text().replace(
            "offset: PT1H}\n    when: {fact: initiated_by", "offset: PT0S}\n    when: {fact: initiated_by", 1
        )
    )
    async with all_services(database_url, kafka_bootstrap, unique_name, smtp_sink, templates) as (o, _notifier, s):
        producer = create_producer(kafka_bootstrap, client_id="billing")
        await producer.start()
        address = f"{unique_name}@example.com"
        event = cancellation(f"sub_{unique_name}", email=address)
        await producer.send_and_wait(
            o.settings.topic_subscription_cancelled, event.to_json_bytes(), key=f"sub_{unique_name}".encode()
        )
        await producer.stop()

        async def invitation_arrived() -> bool:
            return len(mails(smtp_sink.maildir, address)) >= 2

        await wait_until(invitation_arrived, within=30)
        subjects = {m["Subject"]: m for m in mails(smtp_sink.maildir, address)}
        assert any("ends on" in subject for subject in subjects), subjects.keys()
        invitation = subjects["Two minutes to tell us why you left?"]
        link = re.search(r"http://survey\.test(/s/\S+)", invitation.get_body(("plain",)).get_content()).group(1)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=s.http_app), base_url="http://survey.test") as c:
            answered = await c.post(link, data={"reason": "too_expensive", "score": "2", "may_contact": "yes"})
        assert answered.status_code == 200

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=o.http_app),
            base_url="http://o",
            headers={"Authorization": "Bearer viewer-token"},
        ) as api:

            async def follow_up_started():
                # The invitation's result travels back over Kafka while the customer may already have answered:
                # wait for both, in whichever order they come.
                journey = (await api.get(f"/v1/subscriptions/sub_{unique_name}/journey")).json()
                steps = {step["name"]: step["status"] for step in journey["steps"]}
                started = steps["support_follow_up"] in ("in_progress", "succeeded", "failed", "scheduled")
                return started and steps["exit_survey_invitation"] == "succeeded" and journey

            journey = await wait_until_value(follow_up_started)
    timeline = [entry["what"] for entry in journey["timeline"]]
    assert "survey_answered" in timeline
    assert journey["survey"] == {"score": 2, "reason": "too_expensive", "may_contact": True}
    steps = {step["name"]: step["status"] for step in journey["steps"]}
    assert steps["confirmation"] == "succeeded" and steps["exit_survey"] == "succeeded"
    assert steps["exit_survey_invitation"] == "succeeded"


async def wait_until_value(check, within: float = 30.0):
    found = {}

    async def holds() -> bool:
        found["value"] = await check()
        return bool(found["value"])

    await wait_until(holds, within=within)
    return found["value"]


async def test_a_b2b_customer_whose_confirmation_bounces_is_handed_over_to_the_account_manager(
    database_url, kafka_bootstrap, unique_name, smtp_sink, crm
):
    listener = free_port()
    async with all_services(
        database_url,
        kafka_bootstrap,
        unique_name,
        smtp_sink,
        SHIPPED_TEMPLATES,
        webhook_url=crm,
        feedback_smtp_port=listener,
    ) as (o, _notifier, _survey):
        producer = create_producer(kafka_bootstrap, client_id="billing")
        await producer.start()
        address, subscription = f"{unique_name}@example.com", f"sub_{unique_name}"
        event = cancellation(subscription, segment="b2b", email=address, account_manager="Grace Hopper")
        await producer.send_and_wait(o.settings.topic_subscription_cancelled, event.to_json_bytes())
        await producer.stop()

        async def confirmed() -> bool:
            return any(m["X-Offboarding-Step"] == "confirmation" for m in mails(smtp_sink.maildir, address))

        await wait_until(confirmed, within=30)
        sent = next(m for m in mails(smtp_sink.maildir, address) if m["X-Offboarding-Step"] == "confirmation")
        return_path = sent["Return-Path"].strip("<>")
        dsn = DSN.read_text().format(return_path=return_path, recipient=address, message_id=sent["Message-ID"])
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as client:
            for _ in range(2):  # the MTA sends its report twice: one record, one hand-over
                await client.sendmail("", [return_path], dsn.encode())

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=o.http_app),
            base_url="http://o",
            headers={"Authorization": "Bearer viewer-token"},
        ) as api:

            async def handed_over():
                journey = (await api.get(f"/v1/subscriptions/{subscription}/journey")).json()
                steps = {step["name"]: step["status"] for step in journey["steps"]}
                return steps.get("unreachable_hand_over") == "succeeded" and journey

            journey = await wait_until_value(handed_over)
    (hand_over,) = [post for post in Crm.received if post["event"] == "customer_unreachable"]
    assert hand_over["segment"] == "b2b" and hand_over["subscription_id"] == subscription
    assert hand_over["customer"]["email"] == address and hand_over["customer"]["account_manager"] == "Grace Hopper"
    unreachable = hand_over["facts"]["unreachable"]
    assert (unreachable["step"], unreachable["kind"], unreachable["reason_code"]) == ("confirmation", "hard", "5.1.1")
    missed = [m["step"] for m in unreachable["missed"]]
    assert missed[0] == "confirmation" and {"thanks", "access_ended", "data_deletion_notice"} <= set(missed)
    timeline = [entry["what"] for entry in journey["timeline"]]
    assert timeline.count("email_bounced") == 1 and timeline.count("handed_over_to_account_manager") == 1
