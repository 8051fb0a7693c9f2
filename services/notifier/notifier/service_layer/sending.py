"""The send pipeline: claim queued deliveries, decide, send, record, answer the orchestrator.

Each delivery is marked `sending` in a committed transaction before anything leaves (the claim, numbered: it
is the process's lease), then `handed over` just before the channel can accept it (the last line of the SMTP
data, the webhook request), and `sent` (with the answer to the orchestrator) after the channel accepted it.
A crash before the hand-over loses nothing: once the lease runs out the delivery is queued again, and the mail
server had discarded the unfinished message. A crash after it leaves a delivery that may have reached the
customer: it becomes `unconfirmed` and is NOT sent again, since a duplicate is worse than a gap (the
orchestrator gets a non-retryable failure and support can decide). The window in which a kill loses a message
is the time between writing the hand-over's COMMIT and writing the end of data (adapters/hand_over_commit.py).
"""

import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from opentelemetry.trace import Span
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from notifier.adapters.email import AnswerLost, SendFailed, UndeliverableAddress
from notifier.adapters.ratelimit import RateLimiter
from notifier.adapters.rendering import RenderError
from notifier.adapters.repository import DeliveryRepository
from notifier.config import Settings
from notifier.domain.consent import Protection
from notifier.domain.delivery import Delivery, Known, Outcome, SendNow, next_move
from notifier.domain.feedback import from_smtp_answer
from notifier.metrics import SENDS
from notifier.service_layer.channels import Channels
from notifier.service_layer.feedback import FeedbackDesk
from notifier.service_layer.handovers import HandOvers, LeaseLost
from notifier.service_layer.results import answer_rows
from shared import tracing
from shared.db.engine import single_statement_sessions
from shared.errors import describe, is_transient
from shared.keyring import Keyring
from shared.logging import get_logger
from shared.outbox.step_results import queue_signed
from shared.worker import next_backoff

log = get_logger(__name__)
RECORD_PATIENCE_SECONDS = 60.0  # retrying a record through a database restart
INTERRUPTED = "sending was interrupted; not resent to avoid a duplicate"
LEASE_LOST = "held past its lease and queued again"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        engine: AsyncEngine,
        settings: Settings,
        channels: Channels,
        feedback: FeedbackDesk,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions, self._settings, self._channels, self._clock = sessions, settings, channels, clock
        self._feedback = feedback
        self._limits = {
            "email": RateLimiter(settings.rate_email_per_second),
            "webhook": RateLimiter(settings.rate_webhook_per_second),
        }
        self._protection = Protection(
            settings.quiet_hours_start, settings.quiet_hours_end, settings.marketing_cap_period
        )
        self._hand_overs = HandOvers(engine, sessions, clock=clock)
        self._single_statements = single_statement_sessions(engine)

    async def claim(self, limit: int) -> list[Delivery]:
        """Mark up to `limit` queued deliveries `sending` and commit (one statement, committed by itself): from
        here on they are never sent twice."""
        async with self._single_statements() as session:
            return await DeliveryRepository(session).claim(limit, now=self._clock())

    async def release(self, batch: list[Delivery]) -> None:
        """Put claimed deliveries back in the queue (for the next round)."""
        if batch:
            async with self._sessions() as session, session.begin():
                await DeliveryRepository(session).release(batch)

    async def release_interrupted(self) -> int:
        """Deliveries a crashed process left `sending`: queued again when they were never handed over; else
        possibly delivered, so never resent. Returns how many were settled either way."""
        now, lease = self._clock(), self._settings.send_lease_seconds
        ages = {"claimed_before": now - timedelta(seconds=lease)}
        ages["started_before"] = now - timedelta(seconds=max(lease, self._settings.sweep_after_database_start_seconds))
        async with self._sessions() as session, session.begin():
            repository = DeliveryRepository(session)
            requeued = await repository.requeue_unsent(**ages)
            stale = await repository.mark_interrupted(**ages, reason=INTERRUPTED)
            outcome = Outcome("unconfirmed", "failed", INTERRUPTED, retryable=False)
            await self._answer(session, [(d, outcome) for d in stale])
        if requeued:
            log.warning("deliveries_requeued_after_crash", deliveries=requeued)
        for delivery in stale:
            SENDS.labels(delivery.channel, "unconfirmed").inc()
            log.warning("delivery_unconfirmed", journey_id=delivery.journey_id, step=delivery.step)
        return requeued + len(stale)

    async def known(self, batch: list[Delivery]) -> Known:
        """What the decisions about `batch` need, in one to three queries for all of it."""
        marketing = {
            d.recipient_hash
            for d in batch
            if d.recipient_hash
            and (d.category == "marketing" or (d.channel == "email" and self._channels.category_of(d) == "marketing"))
        }
        async with self._single_statements() as session:
            return await DeliveryRepository(session).known(batch, marketing_hashes=marketing)

    async def process(self, delivery: Delivery, known: Known) -> Outcome:
        """Decide and send one delivery; what happened, to be recorded with `record` (never raises)."""
        try:
            return await self._deliver(delivery, known)
        except LeaseLost:
            return Outcome("failed", "failed", LEASE_LOST)  # not recorded: the delivery is another claim's now
        except (RenderError, UndeliverableAddress) as exc:
            return Outcome("failed", "failed", str(exc), retryable=False)
        except AnswerLost as exc:
            return Outcome("unconfirmed", "failed", exc.reason, retryable=False)
        except SendFailed as exc:
            feedback = from_smtp_answer(*exc.refused, self._clock()) if exc.refused else None
            return Outcome("failed", "failed", exc.reason, retryable=exc.retryable, feedback=feedback)
        except Exception as exc:
            # Nothing was accepted by the channel (its acceptance is the last thing that can happen), so this
            # is an honest failure with its real reason, not the crash window's `unconfirmed`.
            log.warning("delivery_failed_before_sending", journey_id=delivery.journey_id, error=describe(exc))
            return Outcome("failed", "failed", f"not sent: {describe(exc)}", retryable=is_transient(exc))

    async def record(self, items: list[tuple[Delivery, Outcome, Span | None]]) -> None:
        """Record a round's outcomes and queue their answers (each continuing its send's trace), in one
        transaction. A process killed after the server accepted a message and before this leaves the delivery
        `unconfirmed` though delivered; recording each send as it was answered shrank that (310 to 62 such
        deliveries in a chaos run) but cost 4.3 transactions and 20 statements per cancellation instead of
        1.1 and 4, and smaller batches everywhere after it, for a crash that is rare outside chaos runs."""
        if not items:
            return
        spans = {d.subscription_id: span for d, _, span in items if span is not None}
        with tracing.keyed(spans):  # each answer to the orchestrator continues its send's trace
            await self._record_retrying([(d, o) for d, o, _ in items])

    async def _record_retrying(self, done: list[tuple[Delivery, Outcome]]) -> None:
        """The messages may be out already: keep trying through a database restart rather than leave them
        `sending`, which ends as `unconfirmed`, or, when the hand-over's COMMIT was lost in that restart, as
        queued again and sent twice. Any transient error counts: PostgreSQL starting up refuses connections
        with its own error (57P03), which this once let through at the first try. Tries at least once a
        second, so that it records before the sweep, which waits after the database's start."""
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + RECORD_PATIENCE_SECONDS, 0.1
        while True:
            try:
                return await self._record(done)
            except Exception as exc:
                if not is_transient(exc) or loop.time() + pause > deadline:
                    raise
                log.warning("delivery_record_retry", deliveries=len(done), error=type(exc).__name__)
                await asyncio.sleep(pause)
                pause = next_backoff(pause, ceiling=1.0)

    async def _deliver(self, delivery: Delivery, known: Known) -> Outcome:
        move = next_move(
            delivery, known, category_of=self._channels.category_of, now=self._clock(), protection=self._protection
        )
        if not isinstance(move, SendNow):
            return move
        await self._limits[delivery.channel].acquire()

        async def hand_over(finish: Callable[[], None] | None) -> None:
            await self._hand_overs.mark(delivery, finish)

        if delivery.channel == "webhook":
            return await self._channels.webhook(delivery, hand_over=hand_over)
        unsubscribe_url = await self._unsubscribe_url(delivery) if move.marketing else None
        return await self._channels.email(delivery, unsubscribe_url=unsubscribe_url, hand_over=hand_over)

    async def _unsubscribe_url(self, delivery: Delivery) -> str:
        """A fresh one-click token (192 bits) for this message."""
        token = secrets.token_urlsafe(24)
        async with self._sessions() as session, session.begin():
            await DeliveryRepository(session).add_unsubscribe_token(token, delivery)
        return f"{self._settings.public_url.rstrip('/')}/u/{token}"

    async def _answer(self, session: AsyncSession, done: list[tuple[Delivery, Outcome]]) -> None:
        """Tell the orchestrator, signed with each journey's key, in the session's transaction."""
        keyring = Keyring(session, self._settings.keyring_schema)
        await queue_signed(session, answer_rows(self._settings.topic_step_results, done), keyring)

    async def _record(self, done: list[tuple[Delivery, Outcome]]) -> None:
        async with self._sessions() as session, session.begin():
            done = await self._feedback.defer_soft_refusals(session, done)
            recorded = await DeliveryRepository(session).record(done, now=self._clock())
            # A delivery whose claim was lost (queued again after its lease) is another round's to answer.
            done = [(d, o) for d, o in done if d.id in recorded]
            await self._feedback.at_send(session, done)
            await self._answer(session, done)
        for delivery, outcome in done:
            SENDS.labels(delivery.channel, outcome.status).inc()
            log.info(
                "delivery_recorded",
                journey_id=delivery.journey_id,
                step=delivery.step,
                channel=delivery.channel,
                status=outcome.status,
                reason=outcome.reason,
            )
