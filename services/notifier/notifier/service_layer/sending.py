"""The send pipeline: claim queued deliveries, decide, render, send, record, answer the orchestrator.

Each delivery is marked `sending` in a committed transaction before anything leaves, and `sent` (with the
answer to the orchestrator) in another after the channel accepted it. A crash in between leaves it
`sending`; once its lease runs out it becomes `unconfirmed` and is NOT sent again: the customer may have it
already, and a duplicate is worse than a gap (the orchestrator gets a non-retryable failure and support can
decide). That is at-most-once for the crash window, exactly-once otherwise.
"""

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.context import message_context
from notifier.adapters.email import SendFailed, SmtpChannel, UndeliverableAddress, build_email, mailbox, message_id
from notifier.adapters.ratelimit import RateLimiter
from notifier.adapters.rendering import Renderer, RenderError
from notifier.adapters.tables import deliveries, suppressions, unsubscribe_tokens
from notifier.adapters.webhook import WebhookChannel
from notifier.config import Settings
from notifier.domain.consent import Defer, Protection, Skip, decide
from notifier.service_layer.results import answer, answer_row
from shared.errors import describe, is_transient
from shared.logging import get_logger
from shared.outbox.table import add_many_to_outbox

log = get_logger(__name__)
RECORD_ATTEMPTS = 12  # about 40 s of retrying
# A round's outcomes in one statement whose text never changes (arrays, not a VALUES list of varying length):
# compiled and prepared once.
RECORD_DELIVERIES = sa.text(
    """
    UPDATE deliveries AS d
    SET status = o.status, reason = o.reason, provider_message_id = o.provider_message_id, subject = o.subject,
        sent_at = o.sent_at, updated_at = now()
    FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]),
                CAST(:provider_ids AS text[]), CAST(:subjects AS text[]), CAST(:sent AS timestamptz[]))
         AS o(id, status, reason, provider_message_id, subject, sent_at)
    WHERE d.id = o.id
    """
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    status: str  # the delivery's new status
    result: str  # what the orchestrator is told: succeeded, failed, skipped, deferred
    reason: str | None = None
    retryable: bool = True
    not_before: datetime | None = None
    provider_message_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None  # of an email that went out: the delivery log shows it


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        settings: Settings,
        renderer: Renderer,
        smtp: SmtpChannel,
        webhook: WebhookChannel,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions, self._settings, self._renderer = sessions, settings, renderer
        self._smtp, self._webhook, self._clock = smtp, webhook, clock
        self._envelope_sender = parseaddr(settings.mail_from)[1]
        self._limits = {
            "email": RateLimiter(settings.rate_email_per_second),
            "webhook": RateLimiter(settings.rate_webhook_per_second),
        }
        self._protection = Protection(
            settings.quiet_hours_start, settings.quiet_hours_end, settings.marketing_cap_period
        )

    async def claim(self, limit: int) -> list[sa.Row]:
        """Mark up to `limit` queued deliveries `sending` and commit: from here on they are never sent twice."""
        async with self._sessions() as session, session.begin():
            queued = (
                sa.select(deliveries.c.id)
                .where(deliveries.c.status == "queued")
                .order_by(deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            return list(
                (
                    await session.execute(
                        sa.update(deliveries)
                        .where(deliveries.c.id.in_(queued.scalar_subquery()))
                        .values(status="sending", claimed_at=self._clock(), updated_at=sa.func.now())
                        .returning(deliveries)
                    )
                ).all()
            )

    async def release_interrupted(self) -> int:
        """Deliveries left `sending` by a crashed process: possibly delivered, so never resent."""
        lease = timedelta(seconds=self._settings.send_lease_seconds)
        async with self._sessions() as session, session.begin():
            stale = (
                await session.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.status == "sending", deliveries.c.claimed_at < self._clock() - lease)
                    .values(
                        status="unconfirmed",
                        reason="sending was interrupted; not resent to avoid a duplicate",
                        updated_at=sa.func.now(),
                    )
                    .returning(deliveries)
                )
            ).all()
            for row in stale:
                await answer(
                    session, self._settings.topic_step_results, row, "failed", reason=row.reason, retryable=False
                )
        for row in stale:
            log.warning("delivery_unconfirmed", journey_id=row.journey_id, step=row.step, command_id=row.command_id)
        return len(stale)

    async def known(self, rows: list[sa.Row]) -> "Known":
        """What the decisions need about a batch, read in three queries for all of it."""
        keys = {(r.journey_id, r.step) for r in rows}
        hashes = list({r.recipient_hash for r in rows if r.recipient_hash})
        async with self._sessions() as session:
            sent = (
                (
                    await session.execute(
                        sa.select(deliveries).where(
                            deliveries.c.status == "sent",
                            sa.tuple_(deliveries.c.journey_id, deliveries.c.step).in_(list(keys)),
                        )
                    )
                ).all()
                if keys
                else []
            )
            suppressed = (
                set(
                    (
                        await session.execute(
                            sa.select(suppressions.c.recipient_hash).where(suppressions.c.recipient_hash.in_(hashes))
                        )
                    ).scalars()
                )
                if hashes
                else set()
            )
            last = (
                dict(
                    (
                        await session.execute(
                            sa.select(deliveries.c.recipient_hash, sa.func.max(deliveries.c.sent_at))
                            .where(
                                deliveries.c.recipient_hash.in_(hashes),
                                deliveries.c.category == "marketing",
                                deliveries.c.status == "sent",
                            )
                            .group_by(deliveries.c.recipient_hash)
                        )
                    ).all()
                )
                if hashes
                else {}
            )
        return Known({(r.journey_id, r.step): r for r in sent}, suppressed, last)

    async def release(self, rows: list[sa.Row]) -> None:
        """Put claimed deliveries back in the queue (for the next round)."""
        if rows:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.id.in_([r.id for r in rows]))
                    .values(status="queued", claimed_at=None)
                )

    async def process(self, row: sa.Row, known: "Known") -> Outcome:
        """Decide and send one delivery; what happened, to be recorded with `record` (never raises)."""
        try:
            return await self._deliver(row, known)
        except (RenderError, UndeliverableAddress) as exc:
            return Outcome("failed", "failed", str(exc), retryable=False)
        except SendFailed as exc:
            return Outcome("failed", "failed", exc.reason, retryable=exc.retryable)
        except Exception as exc:
            # Nothing was accepted by the channel (its acceptance is the last thing that can happen), so this
            # is an honest failure with its real reason, not the crash window's `unconfirmed`.
            log.warning("delivery_failed_before_sending", journey_id=row.journey_id, step=row.step, error=describe(exc))
            return Outcome("failed", "failed", f"not sent: {describe(exc)}", retryable=is_transient(exc))

    async def record(self, done: list[tuple[sa.Row, Outcome]]) -> None:
        """Record a round's outcomes and queue their answers, in one transaction. The messages may be out
        already: keep trying through a short database outage rather than leave them `sending` (which would
        end as `unconfirmed`)."""
        if not done:
            return
        delay = 0.2
        for _ in range(RECORD_ATTEMPTS - 1):
            try:
                return await self._record(done)
            except (OSError, sa.exc.DBAPIError, sa.exc.InterfaceError) as exc:
                log.warning("delivery_record_retry", deliveries=len(done), error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        await self._record(done)

    async def _deliver(self, row: sa.Row, known: "Known") -> Outcome:
        if row.recipient is None:
            return Outcome("erased", "failed", "personal data erased", retryable=False)
        earlier = known.sent.get((row.journey_id, row.step))
        if earlier is not None and earlier.id != row.id:
            return Outcome(
                "duplicate",
                "succeeded",
                f"already sent as {earlier.command_id}",
                provider_message_id=earlier.provider_message_id,
            )
        suppressed = row.recipient_hash in known.suppressed
        last_marketing = known.last_marketing.get(row.recipient_hash)
        category = row.category
        if (
            row.channel == "email"
            and self._renderer.category_of(row.message, row.recipient.get("locale"), row.segment) == "marketing"
        ):
            category = "marketing"  # the notifier's own tag wins when it is the stricter one
        decision = decide(
            category=category,
            consent=row.marketing_consent,
            suppressed=bool(suppressed),
            last_marketing_at=last_marketing,
            now=self._clock(),
            timezone=row.recipient.get("timezone"),
            protection=self._protection,
        )
        if isinstance(decision, Skip):
            return Outcome("skipped", "skipped", decision.reason)
        if isinstance(decision, Defer):
            return Outcome("deferred", "deferred", decision.reason, not_before=decision.until)
        await self._limits[row.channel].acquire()
        if row.channel == "webhook":
            return await self._send_webhook(row)
        return await self._send_email(row, marketing=category == "marketing")

    async def _send_email(self, row: sa.Row, *, marketing: bool) -> Outcome:
        recipient = row.recipient
        unsubscribe_url = await self._unsubscribe_url(row) if marketing else None
        rendered = self._renderer.render(
            message=row.message,
            locale=recipient.get("locale"),
            segment=row.segment,
            context=message_context(row, self._settings),
            unsubscribe_url=unsubscribe_url,
        )
        msg_id = message_id(row.command_id, self._settings.message_id_domain)
        to = mailbox(recipient["email"], recipient.get("name"))
        email = build_email(
            rendered=rendered,
            sender=self._settings.mail_from,
            to=to,
            msg_id=msg_id,
            unsubscribe_url=unsubscribe_url,
            journey_id=row.journey_id,
            step=row.step,
        )
        server_answer = await self._smtp.send(email, sender=self._envelope_sender, to=to)
        return Outcome(
            "sent",
            "succeeded",
            provider_message_id=msg_id,
            data={"provider_message_id": msg_id, "channel": "email", "server": server_answer[:200]},
            subject=rendered.subject,
        )

    async def _send_webhook(self, row: sa.Row) -> Outcome:
        url = self._settings.webhook_url_for(row.message)
        if url is None:
            # A deployment without a CRM or helpdesk hook: visible to support, and not a failed journey.
            return Outcome("skipped", "skipped", f"no webhook URL configured for {row.message}")
        payload = {
            "event": row.message,
            "journey_id": row.journey_id,
            "subscription_id": row.subscription_id,
            "customer_id": row.customer_id,
            "step": row.step,
            "segment": row.segment,
            "customer": row.recipient,
            "facts": row.facts,
        }
        receipt = await self._webhook.send(url, payload, row.command_id)
        return Outcome(
            "sent",
            "succeeded",
            provider_message_id=receipt,
            data={"provider_message_id": receipt, "channel": "webhook"},
        )

    async def _unsubscribe_url(self, row: sa.Row) -> str:
        """A fresh one-click token (192 bits) for this message; only its hash is stored."""
        token = secrets.token_urlsafe(24)
        async with self._sessions() as session, session.begin():
            await session.execute(
                insert(unsubscribe_tokens).values(
                    token_hash=hash_token(token), recipient_hash=row.recipient_hash, journey_id=row.journey_id
                )
            )
        return f"{self._settings.public_url.rstrip('/')}/u/{token}"

    async def _record(self, done: list[tuple[sa.Row, Outcome]]) -> None:
        now = self._clock()
        outcomes = [o for _, o in done]
        recorded = {
            "ids": [row.id for row, _ in done],
            "statuses": [o.status for o in outcomes],
            "reasons": [o.reason for o in outcomes],
            "provider_ids": [o.provider_message_id for o in outcomes],
            "subjects": [o.subject for o in outcomes],
            "sent": [now if o.status == "sent" else None for o in outcomes],
        }
        answers = [
            answer_row(
                self._settings.topic_step_results,
                row,
                o.result,
                reason=o.reason,
                retryable=o.retryable,
                not_before=o.not_before,
                data=o.data,
            )
            for row, o in done
        ]
        async with self._sessions() as session, session.begin():
            await session.execute(RECORD_DELIVERIES, recorded)
            await add_many_to_outbox(session, answers)
        for row, outcome in done:
            log.info(
                "delivery_recorded",
                journey_id=row.journey_id,
                step=row.step,
                channel=row.channel,
                status=outcome.status,
                reason=outcome.reason,
            )


@dataclass(frozen=True)
class Known:
    sent: dict[tuple[str, str], sa.Row]  # (journey, step) -> the delivery that already went out
    suppressed: set[str]
    last_marketing: dict[str, datetime]


def one_per_customer_step(rows: list[sa.Row]) -> tuple[list[sa.Row], list[sa.Row]]:
    """Split a batch into what may be sent side by side and what waits for the next round: never two
    deliveries of one journey step at once, nor two marketing messages to one address."""
    now_rows, later, seen = [], [], set()
    for row in rows:
        keys = {(row.journey_id, row.step)} | ({row.recipient_hash} if row.category == "marketing" else set())
        if keys & seen:
            later.append(row)
        else:
            seen |= keys
            now_rows.append(row)
    return now_rows, later


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
