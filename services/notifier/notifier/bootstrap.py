"""Builds the notifier from its settings: consumer, send queue loop, channels, HTTP app."""

from collections.abc import Callable
from datetime import datetime

import httpx

from notifier.adapters.dkim_signing import signer_for
from notifier.adapters.rendering import Renderer
from notifier.adapters.smtp import SmtpChannel, SmtpConfig
from notifier.adapters.webhook import WebhookChannel
from notifier.config import Settings
from notifier.domain.authentication import alignment_warnings
from notifier.domain.reputation import Thresholds
from notifier.entrypoints.consumers import commands_handler
from notifier.entrypoints.email_webhooks import email_webhooks_router
from notifier.entrypoints.feedback_smtp import FeedbackListener
from notifier.entrypoints.http import create_app
from notifier.entrypoints.sender import SenderLoop
from notifier.service_layer.channels import Channels
from notifier.service_layer.feedback import FeedbackDesk
from notifier.service_layer.reputation import ReputationGuard
from notifier.service_layer.sending import Sender, utc_now
from shared.auth import TokenAuth, parse_tokens
from shared.db.wakeup import Wakeup
from shared.events.commands import ErasePersonalData
from shared.logging import get_logger
from shared.messaging.authenticity import SignedByJourney, allowed_types
from shared.runtime import Runtime, build_runtime

log = get_logger(__name__)


def bootstrap(settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now) -> Runtime:
    settings = settings or Settings()
    runtime = build_runtime("notifier", settings)
    signer = signer_for(settings)
    smtp = SmtpChannel(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        ),
        pool_size=settings.sender_concurrency,
        signer=signer,
    )
    for warning in alignment_warnings(
        from_domain=settings.from_domain(),
        dkim_domain=signer.domain if signer else None,
        bounce_domain=settings.bounce_domain,
    ):
        log.warning("mail_authentication", problem=warning)
    webhook = WebhookChannel(
        secret=settings.webhook_secret.get_secret_value().encode(),
        timeout=settings.webhook_timeout_seconds,
        attempts=settings.webhook_attempts,
    )
    renderer = Renderer(settings.templates_dir, brand=settings.brand())
    channels = Channels(settings=settings, renderer=renderer, smtp=smtp, webhook=webhook)
    feedback = FeedbackDesk(
        runtime.sessions,
        return_path_key=settings.return_path_key.get_secret_value().encode(),
        address_key=settings.address_key_bytes(),
        bounce_domain=settings.bounce_domain,
        soft_window=settings.soft_bounce_window,
        clock=clock,
        topic=settings.topic_step_results,
        keyring_schema=settings.keyring_schema,
    )
    sender = Sender(
        runtime.sessions, engine=runtime.engine, settings=settings, channels=channels, feedback=feedback, clock=clock
    )
    runtime.topics = {
        settings.topic_commands: settings.topic_partitions,
        settings.topic_step_results: settings.topic_partitions,
    }
    runtime.internal_topics = {settings.topic_commands, settings.topic_step_results}
    runtime.migration_secrets = {"address_key": settings.address_key_bytes()}  # 0011 re-keys the address hashes
    runtime.consumers = [
        runtime.consumer(
            group_id=f"{settings.database_schema}-commands",
            topics=[settings.topic_commands],
            batch_handler=commands_handler(
                settings.topic_step_results, settings.keyring_schema, settings.address_key_bytes()
            ),
            # Only what the orchestrator signed, for a journey it knows; for an erased one only the erasure.
            authenticate=SignedByJourney(
                keyring_schema=settings.keyring_schema,
                max_age=settings.message_max_age(),
                allowed_when_erased=allowed_types(ErasePersonalData),
            ),
        )
    ]
    runtime.workers = [
        SenderLoop(
            sender,
            wakeup=Wakeup(runtime.engine, f"{settings.database_schema}_deliveries"),
            batch_size=settings.sender_batch_size,
            concurrency=settings.sender_concurrency,
            interval=settings.sender_interval_seconds,
            # A crashed process's deliveries are settled at most a quarter of a lease after it ran out.
            sweep_every=min(settings.send_lease_seconds / 4, 30.0),
        )
    ]
    if settings.feedback_smtp_port:
        runtime.workers.append(
            FeedbackListener(
                feedback,
                host=settings.feedback_smtp_host,
                port=settings.feedback_smtp_port,
                max_bytes=settings.feedback_max_bytes,
                hostname=settings.bounce_domain,
            )
        )
    guard = ReputationGuard(
        runtime.sessions,
        window=settings.reputation_window,
        thresholds=Thresholds(
            complaint_rate=settings.reputation_complaint_threshold,
            bounce_rate=settings.reputation_bounce_threshold,
            min_sent=settings.reputation_min_sent,
        ),
        sender_domain=settings.from_domain(),
        every=settings.reputation_check_seconds,
        clock=clock,
    )
    runtime.workers.append(guard)
    client = httpx.AsyncClient(timeout=10)  # SNS: the signing certificates, the subscription's confirmation
    runtime.http_app = create_app(
        sessions=runtime.sessions,
        auth=TokenAuth(parse_tokens(settings.api_tokens)),
        readiness=runtime.readiness,
        settings=settings,
        renderer=renderer,
        email_webhooks=email_webhooks_router(feedback, settings, client, clock=clock),
        reputation=guard,
    )
    runtime.http_app.router.on_shutdown.append(client.aclose)
    return runtime
