"""What came back about an email becomes one feedback record: the desk takes a mailed report (from the SMTP
listener) or a refusal at send time, finds the delivery, writes the feedback once, marks the delivery bounced
or complained and suppresses the address (domain/feedback.py has the rules)."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.feedback_repository import Addressed, FeedbackRepository
from notifier.adapters.reports import read_report
from notifier.domain.delivery import Delivery, Outcome
from notifier.domain.feedback import Feedback, soft_retry_at
from notifier.domain.provider_events import ProviderFeedback
from notifier.domain.return_path import delivery_of
from shared.events.commands import DeliveryFeedbackReported
from shared.events.envelope import new_event
from shared.keyring import Keyring
from shared.logging import get_logger
from shared.outbox.step_results import queue_signed
from shared.personal import keyed_address_hash

log = get_logger(__name__)
SOURCE = "offboarding/notifier"
FEEDBACK_LOOP = "fbl"  # the local part to register with mailbox providers' feedback loops
FEEDBACK = Counter(
    "notifier_delivery_feedback_total",
    "What came back about sent email, by source and outcome (hard, soft, complaint; duplicate: told before; "
    "unknown_delivery: no delivery of ours; unreadable: no report we can read)",
    ["source", "outcome"],
)


class FeedbackDesk:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        return_path_key: bytes,
        address_key: bytes,
        bounce_domain: str,
        soft_window: timedelta,
        clock: Callable[[], datetime],
        topic: str,
        keyring_schema: str,
    ) -> None:
        self._sessions, self._key, self._domain = sessions, return_path_key, bounce_domain
        self._address_key = address_key
        self._window, self._clock = soft_window, clock
        self._topic, self._keyring_schema = topic, keyring_schema

    def takes(self, address: str) -> bool:
        """Mail for the listener: a return path of ours, or the feedback-loop address `fbl@<bounce domain>` (a
        complaint sent there names its delivery by the return path or Message-ID of the message it quotes).
        Any other recipient is refused at RCPT."""
        if address.strip().strip("<>").lower() == f"{FEEDBACK_LOOP}@{self._domain}".lower():
            return True
        return delivery_of(address, key=self._key, domain=self._domain) is not None

    async def mailed(self, recipients: list[str], raw: bytes) -> str:
        """A report mailed to a return path; returns what became of it (the metric's outcome)."""
        report = read_report(raw, received_at=self._clock())
        if report is None:
            return self._count("mail", "unreadable")
        source = report.feedback.source
        ids = [delivery_of(a, key=self._key, domain=self._domain) for a in (*recipients, *report.return_paths)]
        delivery_id = next((i for i in ids if i is not None), None)
        async with self._sessions() as session, session.begin():
            repository = FeedbackRepository(session)
            delivery = await repository.find(delivery_id=delivery_id, message_ids=report.message_ids)
            if delivery is None:
                return self._count(source, "unknown_delivery")
            kind = await repository.record(delivery, report.feedback, soft_window=self._window)
            await self._tell(session, [(delivery, report.feedback, kind)])
        log.info(
            "delivery_feedback",
            journey_id=delivery.journey_id,
            source=source,
            kind=kind or "duplicate",
            reason_code=report.feedback.reason_code,
        )
        return self._count(source, kind or "duplicate")

    async def from_provider(self, items: list[ProviderFeedback]) -> dict[str, int]:
        """A provider's webhook events, in one transaction; how many of each outcome."""
        outcomes: dict[str, int] = {}
        async with self._sessions() as session, session.begin():
            repository, told = FeedbackRepository(session), []
            for item in items:
                delivery = await repository.find(
                    delivery_id=delivery_of(item.return_path, key=self._key, domain=self._domain)
                    if item.return_path
                    else None,
                    message_ids=(item.message_id,) if item.message_id else (),
                    recipient_hash=keyed_address_hash(item.email, self._address_key) if item.email else None,
                )
                if delivery is None:
                    outcome = "unknown_delivery"
                else:
                    kind = await repository.record(delivery, item.feedback, soft_window=self._window)
                    told.append((delivery, item.feedback, kind))
                    outcome = kind or "duplicate"
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            await self._tell(session, told)
        for outcome, n in outcomes.items():
            FEEDBACK.labels(items[0].feedback.source, outcome).inc(n)
        return outcomes

    async def defer_soft_refusals(
        self, session: AsyncSession, done: list[tuple[Delivery, Outcome]]
    ) -> list[tuple[Delivery, Outcome]]:
        """A recipient the server refused for now (4xx at send time) is asked again later, with a growing pause,
        as long as the address has bounced softly for less than the soft-bounce window: the step is deferred
        (not an attempt). Past the window the refusal stays a failure, `at_send` records it as hard, and the
        retry finds the address suppressed."""
        repository, deferred = FeedbackRepository(session), []
        for delivery, outcome in done:
            feedback = outcome.feedback
            if feedback is not None and feedback.kind == "soft" and delivery.recipient_hash:
                since = await repository.softly_bouncing_since(delivery.recipient_hash) or feedback.occurred_at
                again = soft_retry_at(since, feedback.occurred_at, self._window)
                if again is not None:
                    reason = f"{outcome.reason} (refused for now: sent again at {again:%Y-%m-%d %H:%M} UTC)"
                    outcome = replace(outcome, status="deferred", result="deferred", reason=reason, not_before=again)
            deferred.append((delivery, outcome))
        return deferred

    async def at_send(self, session: AsyncSession, done: list[tuple[Delivery, Outcome]]) -> None:
        """The server's refusals at send time, in the transaction that records the sends."""
        repository, told = FeedbackRepository(session), []
        for delivery, outcome in done:
            if outcome.feedback is None:
                continue
            addressed = Addressed(
                delivery.id,
                delivery.journey_id,
                delivery.recipient_hash,
                delivery.subscription_id,
                delivery.customer_id,
                delivery.step,
            )
            kind = await repository.record(addressed, outcome.feedback, soft_window=self._window)
            told.append((addressed, outcome.feedback, kind))
            self._count("smtp_answer", kind or "duplicate")
        await self._tell(session, told)

    async def _tell(self, session: AsyncSession, told: list[tuple[Addressed, Feedback, str | None]]) -> None:
        """The orchestrator hears of each new record (signed, through the outbox, in this transaction); not of
        duplicates, nor of journeys already erased (their keys are gone)."""
        new = [(d, f, k) for d, f, k in told if k is not None]
        if not new:
            return
        keyring = Keyring(session, self._keyring_schema)
        known = await keyring.get(sorted({d.journey_id for d, _, _ in new}))
        rows = []
        for delivery, feedback, kind in new:
            if delivery.journey_id not in known or known[delivery.journey_id].seal is None:
                continue  # erased: the orchestrator keeps nothing more about it
            data = DeliveryFeedbackReported(
                journey_id=delivery.journey_id,
                subscription_id=delivery.subscription_id,
                customer_id=delivery.customer_id,
                step=delivery.step,
                kind=kind,
                reason_code=feedback.reason_code[:40],
                source=feedback.source,
                occurred_at=feedback.occurred_at,
            )
            event = new_event(data.event_type, SOURCE, data.model_dump(mode="json"), subject=delivery.journey_id)
            rows.append((self._topic, delivery.subscription_id, event))
        await queue_signed(session, rows, keyring)

    @staticmethod
    def _count(source: str, outcome: str) -> str:
        FEEDBACK.labels(source, outcome).inc()
        return outcome
