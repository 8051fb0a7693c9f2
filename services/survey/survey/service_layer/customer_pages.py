"""The leaving customer's own page: kept current from the orchestrator's updates, found by its link, the help
requests sent from it, what was done on it (counted), and its erasure. Each runs in the caller's transaction;
messages to the orchestrator go out through the outbox, signed with the journey's key."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events.commands import CustomerAskedForHelp, CustomerChangedMarketingConsent, UpdateCustomerPage
from shared.events.envelope import new_event
from shared.keyring import Keyring
from shared.logging import get_logger
from shared.outbox.step_results import queue_signed
from shared.sealing import Unreadable, seal, unseal
from shared.worker import Worker
from survey.adapters.tables import consents, customer_pages, help_requests
from survey.domain import customer_page
from survey.domain.customer_page import HelpRequest
from survey.domain.tokens import token_hash  # the same SHA-256 as a survey link's

SOURCE = "offboarding/survey"
ACTIVITY = (
    "visit",
    "help_request",
    "export_click",
    "come_back_click",
    "survey_answer",
    "marketing_opt_in",
    "marketing_opt_out",
)
PAGE_ACTIVITY = Counter(
    "survey_customer_page_activity_total",
    "What leaving customers did on their own page (visits, help requests, export and come-back clicks, survey "
    "answers, contact preferences changed), per journey template and experiment variant",
    ["what", "template", "variant"],
)
log = get_logger(__name__)


@dataclass(frozen=True)
class PageRules:
    kept_after_end: timedelta  # how long the page works after its last date (the journey's retention)


async def update_page(
    command: UpdateCustomerPage, session: AsyncSession, *, keyring: Keyring, rules: PageRules
) -> None:
    """Keep what the orchestrator says the page shows; an update older than the one kept is ignored (Kafka keeps
    a journey's order, a replayed one does not), and nothing changes an erased page. A newer update may carry a
    new link (support revoked the old one): the old link then opens nothing."""
    manager = None
    if command.sealed_account_manager is not None:
        keys = (await keyring.get([command.journey_id])).get(command.journey_id)
        try:
            manager = unseal(keys.seal if keys else None, command.sealed_account_manager).get("account_manager")
        except Unreadable:
            manager = None  # erased meanwhile: the page names nobody
    values = command.model_dump(include=set(FROM_COMMAND)) | {
        "token_hash": command.page_token_hash,
        "account_manager": manager if isinstance(manager, str) else None,
        "valid_until": customer_page.valid_until(command.effective_at, command.deletion_at, rules.kept_after_end),
    }
    await session.execute(UPSERT_PAGE, values)


FROM_COMMAND = (
    "journey_id",
    "subscription_id",
    "customer_id",
    "segment",
    "template",
    "variant",
    "initiated_by",
    "status",
    "plan",
    "locale",
    "timezone",
    "cancelled_at",
    "effective_at",
    "deletion_at",
    "reactivated_at",
    "ended_at",
    "updated_at",
    "marketing_consent",
)


def _upsert_page() -> sa.TextClause:
    """The page's upsert, written once. SQLAlchemy compiles a PostgreSQL `insert(...).on_conflict_do_update()`
    anew for every execution (it has no cache key: "no key" in its cache statistics), which was most of what a
    page update cost; a text statement with typed parameters is compiled and prepared once."""
    columns = (*FROM_COMMAND, "token_hash", "account_manager", "valid_until")
    changing = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "journey_id")
    statement = (
        f"INSERT INTO customer_pages ({', '.join(columns)}) VALUES ({', '.join(f':{c}' for c in columns)}) "  # noqa: S608 (constant column names, not input)
        f"ON CONFLICT (journey_id) DO UPDATE SET {changing} "
        "WHERE customer_pages.updated_at <= excluded.updated_at AND customer_pages.erased_at IS NULL"
    )
    return sa.text(statement).bindparams(*(sa.bindparam(c, type_=customer_pages.c[c].type) for c in columns))


UPSERT_PAGE = _upsert_page()


# The page, its journey's exit survey and its latest help request, in one statement whose text never changes
# (compiled and prepared once: a view costs one round trip, not SQLAlchemy's compiler).
FIND_PAGE = sa.text(
    """
    SELECT p.*, s.id AS survey_id, s.answered_at AS survey_answered_at, s.expires_at AS survey_expires_at,
           h.topic AS help_topic, h.reach_by AS help_reach_by, h.requested_at AS help_requested_at
    FROM customer_pages p
    LEFT JOIN surveys s ON s.journey_id = p.journey_id AND s.token_hash IS NOT NULL
    LEFT JOIN LATERAL (
        SELECT topic, reach_by, requested_at FROM page_help_requests r
        WHERE r.journey_id = p.journey_id ORDER BY requested_at DESC LIMIT 1
    ) h ON true
    WHERE p.token_hash = :hash
    """
)


async def find_page(session: AsyncSession, token: str) -> sa.Row | None:
    """The page a link opens, with its survey's state and latest help request; None for anything that is not a
    live link (looked up by its hash only)."""
    if not customer_page.TOKEN.match(token):
        return None
    return (await session.execute(FIND_PAGE, {"hash": token_hash(token)})).first()


async def request_help(
    page: sa.Row, request: HelpRequest, session: AsyncSession, *, results_topic: str, now: datetime, keyring: Keyring
) -> uuid.UUID:
    """Keep what the customer wrote (erased with the journey) and tell the orchestrator: the topic and how to reach
    them for support's attention list and the journey's timeline, their words and phone number sealed with the
    journey's key for the helpdesk (b2b) hand-over."""
    request_id = uuid.uuid4()
    await session.execute(
        sa.insert(help_requests).values(
            id=request_id,
            journey_id=page.journey_id,
            topic=request.topic,
            message=request.message,
            reach_by=request.reach_by,
            phone=request.phone,
            requested_at=now,
        )
    )
    told = CustomerAskedForHelp(
        journey_id=page.journey_id,
        subscription_id=page.subscription_id,
        customer_id=page.customer_id,
        request_id=str(request_id),
        topic=request.topic,
        reach_by=request.reach_by,
        requested_at=now,
        sealed_help=await _sealed(keyring, page.journey_id, {"message": request.message, "phone": request.phone}),
    )
    event = new_event(told.event_type, SOURCE, told.model_dump(mode="json"), subject=page.journey_id)
    await queue_signed(session, [(results_topic, page.subscription_id, event)], keyring)
    await count(session, page, "help_request", now)
    log.info("help_requested", journey_id=page.journey_id, topic=request.topic)
    return request_id


async def _sealed(keyring: Keyring, journey_id: str, value: dict):
    keys = (await keyring.get([journey_id])).get(journey_id)
    return seal(keys.seal, journey_id, value) if keys is not None and keys.seal is not None else None


async def change_marketing_consent(
    page: sa.Row, consent: bool, session: AsyncSession, *, results_topic: str, now: datetime, keyring: Keyring
) -> bool:
    """The customer's contact preference, as chosen on their page: a consent record, the page's own copy (shown at
    once), and the orchestrator told (the journey's marketing_consent). Choosing what is already set records
    nothing. False then."""
    if page.marketing_consent == consent:
        return False
    consent_id = uuid.uuid4()
    await session.execute(
        sa.insert(consents).values(
            id=consent_id,
            journey_id=page.journey_id,
            marketing_consent=consent,
            source="customer_page",
            recorded_at=now,
        )
    )
    await session.execute(
        sa.update(customer_pages)
        .where(customer_pages.c.journey_id == page.journey_id)
        .values(marketing_consent=consent)
    )
    told = CustomerChangedMarketingConsent(
        journey_id=page.journey_id,
        subscription_id=page.subscription_id,
        customer_id=page.customer_id,
        consent_id=str(consent_id),
        marketing_consent=consent,
        changed_at=now,
    )
    event = new_event(told.event_type, SOURCE, told.model_dump(mode="json"), subject=page.journey_id)
    await queue_signed(session, [(results_topic, page.subscription_id, event)], keyring)
    await count(session, page, "marketing_opt_in" if consent else "marketing_opt_out", now)
    log.info("marketing_consent_changed", journey_id=page.journey_id, marketing_consent=consent)
    return True


COUNT_MANY = sa.text(
    """
    INSERT INTO page_activity (journey_id, what, template, variant, count, first_at, last_at)
    SELECT * FROM unnest(CAST(:journeys AS text[]), CAST(:whats AS text[]), CAST(:templates AS text[]),
                         CAST(:variants AS text[]), CAST(:counts AS int[]), CAST(:firsts AS timestamptz[]),
                         CAST(:lasts AS timestamptz[]))
    ON CONFLICT (journey_id, what) DO UPDATE
    SET count = page_activity.count + excluded.count, last_at = excluded.last_at
    """
)


class VisitTally(Worker):
    """Visits are counted in memory and written every `interval` seconds in one statement: a view of the page is
    then a read only (no commit to wait for). A crash loses at most that many seconds of visit counts; help
    requests, clicks and answers are counted in their own transactions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock, *, interval: float = 5.0) -> None:
        super().__init__()
        self._sessions, self._clock, self._interval = sessions, clock, interval
        self._seen: dict[str, list] = {}  # journey_id -> [template, variant, count, first, last]

    def add(self, page: sa.Row) -> None:
        now = self._clock()
        seen = self._seen.setdefault(page.journey_id, [page.template, page.variant, 0, now, now])
        seen[2], seen[4] = seen[2] + 1, now
        PAGE_ACTIVITY.labels("visit", page.template, page.variant or "").inc()

    async def flush(self) -> None:
        taken, self._seen = self._seen, {}
        if not taken:
            return
        rows = [(journey, "visit", *seen) for journey, seen in taken.items()]
        async with self._sessions() as session, session.begin():
            await _add_counts(session, rows)

    async def run(self) -> None:
        while not self.stopping:
            await self.pause(self._interval)
            try:
                await self.flush()  # the last time after the stop: what was seen until then
            except Exception:  # the database away: these counts are lost, the page goes on
                log.warning("page_visits_not_counted", exc_info=True)


async def count(session: AsyncSession, page: sa.Row, what: str, now: datetime) -> None:
    """One more of `what` on this journey's page (a counter and two moments: no browser, no address)."""
    await _add_counts(session, [(page.journey_id, what, page.template, page.variant, 1, now, now)])
    PAGE_ACTIVITY.labels(what, page.template, page.variant or "").inc()


async def _add_counts(session: AsyncSession, rows: list[tuple]) -> None:
    """(journey, what, template, variant, count, first, last) rows added to page_activity, in one statement."""
    columns = ("journeys", "whats", "templates", "variants", "counts", "firsts", "lasts")
    await session.execute(COUNT_MANY, {name: [row[i] for row in rows] for i, name in enumerate(columns)})


async def erase_page(journey_id: str, session: AsyncSession, *, now: datetime) -> None:
    """The page stays (its dates, nothing personal): the account manager's name and what the customer wrote for
    help go."""
    await session.execute(
        sa.update(customer_pages)
        .where(customer_pages.c.journey_id == journey_id)
        .values(account_manager=None, erased_at=sa.func.coalesce(customer_pages.c.erased_at, now))
    )
    await session.execute(
        sa.update(help_requests)
        .where(help_requests.c.journey_id == journey_id)
        .values(message=None, phone=None, erased_at=now)
    )
