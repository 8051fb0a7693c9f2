"""Loading and saving journeys: the journey aggregate to and from its rows, always inside a transaction."""

import functools
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.tables import journey_steps, journey_timeline, journeys, reactivations
from orchestrator.domain.effects import Note
from orchestrator.domain.journey import Journey, Step
from orchestrator.domain.templates import StepSpec
from shared import tracing
from shared.db.engine import insert_rows
from shared.personal import address_hash

# A step's columns that change after it was created (the rest is its place in the template); the Step
# attributes have the same names.
STEP_STATE = ("status", "due_at", "attempts", "last_error", "completed_at", "dispatched_at", "command_id", "result")


DRIVEN = ("active", "cancelled", "completed", "failed")  # the statuses the timer looks at (ix_journeys_due)

# A step's spec is a copy of its template's, the same for thousands of journeys: it is read as text and parsed
# once per distinct text, and written from a document made once per spec (py-spy: loading journeys for step
# results spent half its time validating and decoding the same dozen specs again and again).
STEP_COLUMNS = [c for c in journey_steps.c if c.name != "spec"]
_documents: dict[int, tuple[StepSpec, str]] = {}


@functools.lru_cache(maxsize=4096)
def step_spec(text: str) -> StepSpec:
    return StepSpec.model_validate_json(text)


def spec_document(spec: StepSpec) -> str:
    """The spec as stored, as JSON text (frozen models: one document per spec object)."""
    known = _documents.get(id(spec))
    if known is None or known[0] is not spec:
        if len(_documents) > 10_000:
            _documents.clear()
        known = _documents[id(spec)] = (spec, spec.model_dump_json(by_alias=True, exclude_unset=True))
    return known[1]


def email_hash(email: str | None) -> str | None:
    return address_hash(email) if email else None


# The steps that changed, in one upsert whose text never changes. SQLAlchemy cannot cache the compiled form of
# PostgreSQL's ON CONFLICT DO UPDATE construct ("no key" in its log): built with it, this statement was compiled
# anew for every batch.
OPEN_AND_REACTIVATED = sa.text(
    """
    SELECT s,
           EXISTS (SELECT 1 FROM journeys j WHERE j.subscription_id = s AND j.status IN ('active', 'paused')),
           (SELECT max(r.reactivated_at) FROM reactivations r WHERE r.subscription_id = s)
    FROM unnest(CAST(:subs AS text[])) s
    """
).columns(sa.column("s", sa.Text), sa.column("open", sa.Boolean), sa.column("at", sa.DateTime(timezone=True)))
SAVE_STEPS = sa.text(
    f"""
    INSERT INTO journey_steps (journey_id, name, position, kind, spec, {", ".join(STEP_STATE)})
    SELECT s.journey_id, s.name, s.position, s.kind, s.spec::jsonb, s.status, s.due_at, s.attempts, s.last_error,
           s.completed_at, s.dispatched_at, s.command_id, s.result::jsonb
    FROM unnest(CAST(:journey_id AS uuid[]), CAST(:name AS text[]), CAST(:position AS int[]),
                CAST(:kind AS text[]), CAST(:spec AS text[]), CAST(:status AS text[]),
                CAST(:due_at AS timestamptz[]), CAST(:attempts AS int[]), CAST(:last_error AS text[]),
                CAST(:completed_at AS timestamptz[]), CAST(:dispatched_at AS timestamptz[]),
                CAST(:command_id AS text[]), CAST(:result AS text[]))
         AS s(journey_id, name, position, kind, spec, status, due_at, attempts, last_error, completed_at,
              dispatched_at, command_id, result)
    ON CONFLICT (journey_id, name) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in STEP_STATE)}
    """  # noqa: S608 (STEP_STATE is a constant, not input)
)

# Many journeys in one statement whose text never changes (arrays, not a VALUES list of varying length), so it
# is compiled and prepared once. An erased journey loses the hash of its address too (it would still find them).
SAVE_JOURNEYS = sa.text(
    """
    UPDATE journeys AS j
    SET status = u.status, updated_at = u.updated_at, ended_at = u.ended_at, erased_at = u.erased_at,
        next_due_at = u.next_due_at, facts = u.facts::jsonb, survey = u.survey::jsonb,
        email_hash = CASE WHEN u.erased_at IS NULL THEN j.email_hash END
    FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:updated AS timestamptz[]),
                CAST(:ended AS timestamptz[]), CAST(:erased AS timestamptz[]), CAST(:due AS timestamptz[]),
                CAST(:facts AS text[]), CAST(:surveys AS text[]))
         AS u(id, status, updated_at, ended_at, erased_at, next_due_at, facts, survey)
    WHERE j.id = u.id
    """
)


class JourneyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Each step's state as read or last written (journey id -> step name -> STEP_STATE values): a save
        # writes only the steps that changed, where a journey typically changes one or two of a dozen.
        self._stored: dict[uuid.UUID, dict[str, tuple]] = {}

    async def get(self, journey_id: uuid.UUID) -> Journey | None:
        """The journey, its row locked until the transaction ends (one writer per journey)."""
        return await self._locked(sa.select(journeys).where(journeys.c.id == journey_id))

    async def latest_stoppable_for_subscription(self, subscription_id: str) -> Journey | None:
        """The newest journey that a reactivation may stop (open, or failed), locked."""
        return await self._locked(
            sa.select(journeys)
            .where(journeys.c.subscription_id == subscription_id, journeys.c.status.in_(("active", "paused", "failed")))
            .order_by(journeys.c.started_at.desc())
            .limit(1)
        )

    async def claim_due(self, now: datetime, limit: int) -> dict[uuid.UUID, tuple[str, str | None]]:
        """Journeys with a step due, locked; rows another replica holds are skipped, never waited for. Each with
        its subscription id and the trace context it started in (None without traces)."""
        result = await self.session.execute(
            sa.select(journeys.c.id, journeys.c.subscription_id, journeys.c.traceparent)
            # Paused journeys wait for the resume; ended ones may still answer the customer (a help request).
            .where(journeys.c.status.in_(DRIVEN), journeys.c.next_due_at <= now)
            .order_by(journeys.c.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return {row.id: (row.subscription_id, row.traceparent) for row in result}

    async def add_many(self, new: list[tuple[Journey, str, str]]) -> None:
        """Insert new journeys, each with (event source, event id) of the cancellation that started it."""
        if not new:
            return
        rows = []
        for journey, event_source, event_id in new:
            customer = journey.facts.get("customer") or {}
            rows.append(
                {
                    **self._journey_values(journey),
                    "id": journey.id,
                    "subscription_id": journey.subscription_id,
                    "customer_id": journey.customer_id,
                    "email_hash": email_hash(customer.get("email")),
                    "template": journey.template,
                    "template_version": journey.template_version,
                    "variant": journey.variant,
                    "experiment": journey.experiment,
                    "traceparent": tracing.traceparent_for(journey.subscription_id),
                    "segment": journey.segment,
                    "initiated_by": journey.initiated_by,
                    "started_at": journey.started_at,
                    "cancelled_at": journey.cancelled_at,
                    "effective_at": journey.effective_at,
                    "event_source": event_source,
                    "event_id": event_id,
                }
            )
        await insert_rows(self.session, sa.insert(journeys), rows)
        await self._save_steps([journey for journey, _, _ in new])

    async def save_many(self, changed: list[Journey]) -> None:
        """One UPDATE for all the journeys, one upsert for the steps that changed."""
        if not changed:
            return
        await self.session.execute(
            SAVE_JOURNEYS,
            {
                "ids": [j.id for j in changed],
                "statuses": [j.status for j in changed],
                "updated": [j.updated_at for j in changed],
                "ended": [j.ended_at for j in changed],
                "erased": [j.erased_at for j in changed],
                "due": [j.next_due_at for j in changed],
                "facts": [json.dumps(j.facts) for j in changed],
                "surveys": [None if j.survey is None else json.dumps(j.survey) for j in changed],
            },
        )
        await self._save_steps(changed)

    async def add_timeline(self, entries: list[tuple[Journey, Note]]) -> None:
        if entries:
            await insert_rows(
                self.session,
                sa.insert(journey_timeline),
                [{"journey_id": j.id, "at": j.updated_at, "what": n.what, "details": n.details} for j, n in entries],
            )

    async def record_reactivation(
        self, *, event_source: str, event_id: str, subscription_id: str, reactivated_at: datetime
    ) -> None:
        await self.session.execute(
            insert(reactivations)
            .values(
                event_source=event_source,
                event_id=event_id,
                subscription_id=subscription_id,
                reactivated_at=reactivated_at,
            )
            .on_conflict_do_nothing()
        )

    async def lock_subscriptions(self, subscription_ids: list[str]) -> None:
        """Serialise work on these subscriptions across consumers and replicas (cancellation vs reactivation);
        taken in sorted order, so two batches never wait on each other in a cycle."""
        await self.session.execute(
            sa.text("SELECT count(pg_advisory_xact_lock(hashtext('sub:' || s))) FROM unnest(CAST(:subs AS text[])) s"),
            {"subs": sorted(set(subscription_ids))},
        )

    async def open_and_reactivated(self, subscription_ids: list[str]) -> tuple[set[str], dict[str, datetime]]:
        """Which of these subscriptions have an open journey, and the latest reactivation of each that has one,
        in one statement (callers hold their subscription locks, taken in a statement before: a statement's
        snapshot is taken when it starts, so one that waited for a lock would not see what its holder wrote)."""
        rows = (await self.session.execute(OPEN_AND_REACTIVATED, {"subs": sorted(set(subscription_ids))})).all()
        return {s for s, is_open, _ in rows if is_open}, {s: at for s, _, at in rows if at is not None}

    async def get_many(self, journey_ids: list[uuid.UUID]) -> dict[uuid.UUID, Journey]:
        """Several journeys, their rows locked in id order, loaded in two queries."""
        if not journey_ids:
            return {}
        rows = (
            await self.session.execute(
                sa.select(journeys)
                .where(journeys.c.id.in_(sorted(set(journey_ids))))
                .order_by(journeys.c.id)
                .with_for_update()
            )
        ).all()
        return await self._load_many(rows)

    # ----- mapping --------------------------------------------------------------------------------

    @staticmethod
    def _journey_values(journey: Journey) -> dict[str, Any]:
        return {
            "status": journey.status,
            "updated_at": journey.updated_at,
            "ended_at": journey.ended_at,
            "erased_at": journey.erased_at,
            "next_due_at": journey.next_due_at,
            "facts": journey.facts,
            "survey": journey.survey,
        }

    async def _save_steps(self, many: list[Journey]) -> None:
        """Upsert the steps whose state differs from what is stored (all of a new journey's)."""
        columns: dict[str, list] = {
            name: [] for name in ("journey_id", "name", "position", "kind", "spec", *STEP_STATE)
        }
        for journey in many:
            stored = self._stored.setdefault(journey.id, {})
            for i, s in enumerate(journey.steps):
                state = tuple(getattr(s, c) for c in STEP_STATE)
                if stored.get(s.name) == state:
                    continue
                stored[s.name] = state
                stored_state = (json.dumps(v) if c == "result" else v for c, v in zip(STEP_STATE, state, strict=True))
                row = (journey.id, s.name, i, s.spec.kind, spec_document(s.spec), *stored_state)
                for values, value in zip(columns.values(), row, strict=True):
                    values.append(value)
        if columns["name"]:
            await self.session.execute(SAVE_STEPS, columns)

    async def _locked(self, query: sa.Select) -> Journey | None:
        row = (await self.session.execute(query.with_for_update())).first()
        return (await self._load_many([row]))[row.id] if row else None

    async def _load_many(self, rows: list[sa.Row]) -> dict[uuid.UUID, Journey]:
        steps: dict[uuid.UUID, list[sa.Row]] = {row.id: [] for row in rows}
        for step in await self.session.execute(
            sa.select(*STEP_COLUMNS, sa.cast(journey_steps.c.spec, sa.Text).label("spec_text"))
            .where(journey_steps.c.journey_id.in_(list(steps)))
            .order_by(journey_steps.c.journey_id, journey_steps.c.position)
        ):
            steps[step.journey_id].append(step)
        return {row.id: self._journey(row, steps[row.id]) for row in rows}

    def _journey(self, row: sa.Row, step_rows: list[sa.Row]) -> Journey:
        self._stored[row.id] = {r.name: tuple(getattr(r, c) for c in STEP_STATE) for r in step_rows}
        steps = [
            Step(
                spec=step_spec(r.spec_text),
                status=r.status,
                due_at=r.due_at,
                attempts=r.attempts,
                last_error=r.last_error,
                completed_at=r.completed_at,
                dispatched_at=r.dispatched_at,
                command_id=r.command_id,
                result=r.result,
            )
            for r in step_rows
        ]
        return Journey(
            id=row.id,
            subscription_id=row.subscription_id,
            customer_id=row.customer_id,
            template=row.template,
            template_version=row.template_version,
            variant=row.variant,
            experiment=row.experiment,
            segment=row.segment,
            initiated_by=row.initiated_by,
            status=row.status,
            started_at=row.started_at,
            updated_at=row.updated_at,
            cancelled_at=row.cancelled_at,
            effective_at=row.effective_at,
            facts=row.facts,
            steps=steps,
            survey=row.survey,
            ended_at=row.ended_at,
            erased_at=row.erased_at,
        )
