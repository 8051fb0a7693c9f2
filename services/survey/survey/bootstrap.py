"""Builds the survey service from its settings: command consumer, HTTP app (survey pages and insights)."""

from collections.abc import Callable
from datetime import UTC, datetime

from shared.auth import TokenAuth, parse_tokens
from shared.events.commands import ErasePersonalData
from shared.messaging.authenticity import SignedByJourney, allowed_types
from shared.rate_limit import RateLimit
from shared.runtime import Runtime, build_runtime
from survey.config import Settings
from survey.entrypoints.consumers import commands_handler
from survey.entrypoints.customer_pages import PageSetup
from survey.entrypoints.http import create_app
from survey.service_layer.customer_pages import PageRules, VisitTally
from survey.service_layer.handlers import Links, Topics


def bootstrap(settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None) -> Runtime:
    settings = settings or Settings()
    now = clock or (lambda: datetime.now(UTC))
    runtime = build_runtime("survey", settings)
    topics = Topics(step_results=settings.topic_step_results, survey_responses=settings.topic_survey_responses)
    secret = settings.token_secret.get_secret_value().encode()
    links = Links(public_url=settings.public_url, secret=secret, ttl=settings.survey_ttl)
    runtime.topics = {
        name: settings.topic_partitions
        for name in (settings.topic_survey_responses, settings.topic_commands, settings.topic_step_results)
    }
    runtime.internal_topics = {settings.topic_commands, settings.topic_step_results}
    runtime.consumers = [
        runtime.consumer(
            group_id=f"{settings.database_schema}-commands",
            topics=[settings.topic_commands],
            batch_handler=commands_handler(
                topics, links, now, settings.keyring_schema, PageRules(kept_after_end=settings.page_kept_after_end)
            ),
            # Only what the orchestrator signed, for a journey it knows; for an erased one only the erasure.
            authenticate=SignedByJourney(
                keyring_schema=settings.keyring_schema,
                max_age=settings.message_max_age(),
                allowed_when_erased=allowed_types(ErasePersonalData),
            ),
        )
    ]
    visits = VisitTally(runtime.sessions, now)
    runtime.workers.append(visits)
    runtime.http_app = create_app(
        sessions=runtime.sessions,
        auth=TokenAuth(parse_tokens(settings.api_tokens)),
        readiness=runtime.readiness,
        topics=topics,
        secret=secret,
        clock=now,
        brand=settings.brand(),
        keyring_schema=settings.keyring_schema,
        public_url=settings.public_url,
        page=PageSetup(
            sessions=runtime.sessions,
            topics=topics,
            results_topic=settings.topic_step_results,
            keyring_schema=settings.keyring_schema,
            clock=now,
            brand=settings.brand(),
            company=settings,
            hand_over_call_url=settings.hand_over_call_url,
            views=RateLimit(rate=settings.page_views_per_second, burst=settings.page_views_burst),
            posts=RateLimit(rate=settings.page_posts_per_hour / 3600, burst=settings.page_posts_burst),
            visits=visits,
        ),
    )
    return runtime
