"""Builds the orchestrator from its settings: templates, consumers, timers, HTTP app. Tests pass their own
settings (and a clock)."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.peers import Peers
from orchestrator.adapters.status_counts import StatusCounts
from orchestrator.config import Settings
from orchestrator.console.session import Sessions
from orchestrator.console.web import Console
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import Catalogue, load_catalogue
from orchestrator.entrypoints.consumers import billing_handler, results_handler
from orchestrator.entrypoints.http import create_app
from orchestrator.entrypoints.timers import TimerLoop
from orchestrator.service_layer.dry_runs import DryRuns
from orchestrator.service_layer.experiments import Experiments
from orchestrator.service_layer.messages import Topics
from orchestrator.service_layer.previews import Previews
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.auth import TokenAuth, parse_tokens
from shared.db.wakeup import Wakeup
from shared.events.commands import CustomerUnsubscribed, StepResult, SurveyResponseSubmitted
from shared.events.identity import billing_fingerprint
from shared.messaging.authenticity import SignedByJourney, allowed_types
from shared.runtime import Runtime, build_runtime


def bootstrap(settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None) -> Runtime:
    settings = settings or Settings()
    catalogue = load_catalogue(settings.templates_dir)  # a bad template stops start-up here, naming it
    policy, topics = retry_policy(settings), command_topics(settings)
    now = clock or (lambda: datetime.now(UTC))

    def uow_factory(session: AsyncSession) -> UnitOfWork:
        return UnitOfWork(
            session,
            catalogue=catalogue,
            policy=policy,
            topics=topics,
            page_base=settings.customer_page_url,
            clock=now,
        )

    runtime = build_runtime("orchestrator", settings)
    runtime.readers = {"journey_keys": tuple(r for r in settings.keyring_readers.split(",") if r)}
    partitions = settings.topic_partitions
    runtime.topics = {
        name: partitions
        for name in (
            settings.topic_subscription_cancelled,
            settings.topic_subscription_reactivated,
            settings.topic_journey_events,
            settings.topic_notifier_commands,
            settings.topic_survey_commands,
            settings.topic_step_results,
            settings.topic_survey_responses,
        )
    }
    runtime.internal_topics = {
        settings.topic_notifier_commands,
        settings.topic_survey_commands,
        settings.topic_step_results,
    }
    runtime.consumers = [
        runtime.consumer(
            group_id=f"{settings.database_schema}-billing",
            batch_handler=billing_handler(uow_factory),
            topics=[settings.topic_subscription_cancelled, settings.topic_subscription_reactivated],
            max_records=settings.consumer_max_records,
            # The billing bridge's events: one cancellation told twice is a duplicate, not a conflict.
            fingerprint=billing_fingerprint,
        ),
        runtime.consumer(
            group_id=f"{settings.database_schema}-results",
            batch_handler=results_handler(uow_factory),
            topics=[settings.topic_step_results, settings.topic_survey_responses],
            max_records=settings.consumer_max_records,
            # Results move journeys: only what the notifier and the survey service signed is read. An erased
            # journey still takes its answers (they carry no personal data).
            authenticate=SignedByJourney(
                keyring_schema=None,
                max_age=settings.message_max_age(),
                allowed_when_erased=allowed_types(StepResult, SurveyResponseSubmitted, CustomerUnsubscribed),
            ),
        ),
    ]
    counts = StatusCounts()
    runtime.workers = [
        TimerLoop(
            runtime.sessions,
            uow_factory,
            interval=settings.timer_interval_seconds,
            batch_size=settings.timer_batch_size,
            counts=counts,
            wakeup=Wakeup(runtime.engine, f"{settings.database_schema}_timers"),
        )
    ]
    auth = TokenAuth(parse_tokens(settings.api_tokens))
    peers = peers_for(settings)
    previews = build_previews(settings, catalogue, peers, clock=now)
    experiments = Experiments(catalogue, runtime.sessions, now)
    console = Console(
        db=runtime.sessions,
        uow_factory=uow_factory,
        sessions=Sessions(
            settings.console_secret.get_secret_value().encode(),
            hours=settings.console_session_hours,
            tokens=auth.tokens,
            secure=settings.environment == "production",
        ),
        peers=peers,
        counts=counts,
        catalogue=catalogue,
        session_hours=settings.console_session_hours,
        previews=previews,
        experiments=experiments,
    )
    runtime.http_app = create_app(
        sessions=runtime.sessions,
        uow_factory=uow_factory,
        auth=auth,
        readiness=runtime.readiness,
        console=console,
        previews=previews,
        dry_runs=DryRuns(
            {p.name: p.read_text(encoding="utf-8") for p in sorted(settings.templates_dir.glob("*.yaml"))},
            policy,
            peers,
            runtime.sessions,
        ),
        experiments=experiments,
    )
    return runtime


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_delay=settings.retry_base_delay,
        max_delay=settings.retry_max_delay,
        step_timeout=settings.step_timeout,
    )


def peers_for(settings: Settings) -> Peers:
    """The clients of the notifier's and the survey service's APIs (the console, previews and dry-runs)."""
    return Peers(notifier_url=settings.notifier_url, survey_url=settings.survey_url, token=settings.peer_token())


def command_topics(settings: Settings) -> Topics:
    return Topics(
        journey_events=settings.topic_journey_events,
        notifier_commands=settings.topic_notifier_commands,
        survey_commands=settings.topic_survey_commands,
    )


def build_previews(
    settings: Settings, catalogue: Catalogue, peers: Peers, *, clock: Callable[[], datetime] | None = None
) -> Previews:
    """The author's preview, for the HTTP app and for `templates preview`."""
    return Previews(
        catalogue,
        retry_policy(settings),
        command_topics(settings),
        peers,
        survey_url=settings.survey_url,
        page_base=settings.customer_page_url,
        clock=clock or (lambda: datetime.now(UTC)),
    )
