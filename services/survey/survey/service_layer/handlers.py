"""Handlers: a create-survey command (answered with the link), a submitted answer (published as
survey.response.submitted), an erasure. Each runs in the caller's transaction; messages go out through the
outbox."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import CreateSurvey, ErasePersonalData, SurveyResponseSubmitted
from shared.events.envelope import new_event
from shared.outbox.step_results import answer_step
from shared.outbox.table import add_to_outbox, outbox
from survey.adapters.tables import answers, surveys
from survey.domain.answers import Answer
from survey.domain.tokens import new_token, verified_hash

SOURCE = "offboarding/survey"


@dataclass(frozen=True)
class Topics:
    step_results: str
    survey_responses: str


@dataclass(frozen=True)
class Links:
    public_url: str
    secret: bytes
    ttl: timedelta


async def create_survey(
    command: CreateSurvey, command_id: str, session: AsyncSession, *, topics: Topics, links: Links, now: datetime
) -> None:
    """One survey per journey. A repeated command (the orchestrator retried) gets a fresh link for the same
    survey: only the hash of a link is kept, and the orchestrator uses the link of the command in flight."""
    token, token_hash = new_token(links.secret)
    row = (
        await session.execute(
            insert(surveys)
            .values(
                id=uuid.uuid4(),
                journey_id=command.journey_id,
                subscription_id=command.subscription_id,
                customer_id=command.customer_id,
                segment=command.segment,
                plan=command.plan,
                template=command.template,
                locale=command.locale,
                token_hash=token_hash,
                created_at=now,
                expires_at=now + links.ttl,
            )
            .on_conflict_do_update(
                index_elements=["journey_id"],
                set_={"token_hash": token_hash, "expires_at": now + links.ttl},
                where=surveys.c.answered_at.is_(None) & surveys.c.token_hash.is_not(None),
            )
            .returning(surveys.c.id)
        )
    ).first()
    if row is None:
        outcome, data = "failed", {}
        reason = "this journey's survey is already answered or closed"
    else:
        outcome, reason = "succeeded", None
        data = {"survey_id": str(row.id), "survey_url": f"{links.public_url.rstrip('/')}/s/{token}"}
    await answer_step(
        session,
        topic=topics.step_results,
        source=SOURCE,
        command_id=command_id,
        answering=command,
        outcome=outcome,
        reason=reason,
        retryable=False,
        data=data,
    )


Verdict = Literal["thanks", "answered", "expired", "unknown"]


async def find_survey(session: AsyncSession, token: str, secret: bytes, *, lock: bool = False) -> sa.Row | None:
    token_hash = verified_hash(token, secret)
    if token_hash is None:
        return None
    query = sa.select(surveys).where(surveys.c.token_hash == token_hash)
    return (await session.execute(query.with_for_update() if lock else query)).first()


def state(survey: sa.Row | None, now: datetime) -> Verdict | None:
    """Why the survey cannot take an answer, or None when it can."""
    if survey is None:
        return "unknown"
    if survey.answered_at is not None:
        return "answered"
    if survey.expires_at <= now:
        return "expired"
    return None


async def submit_answer(
    token: str, answer: Answer, session: AsyncSession, *, topics: Topics, secret: bytes, now: datetime
) -> tuple[Verdict, sa.Row | None]:
    """Store the one answer of the survey and publish it; or say why not. Locks the survey row."""
    survey = await find_survey(session, token, secret, lock=True)
    refusal = state(survey, now)
    if refusal is not None:
        return refusal, survey
    await session.execute(
        sa.insert(answers).values(
            survey_id=survey.id,
            journey_id=survey.journey_id,
            segment=survey.segment,
            plan=survey.plan,
            template=survey.template,
            reason=answer.reason,
            reason_other=answer.reason_other,
            score=answer.score,
            comment=answer.comment,
            may_contact=answer.may_contact,
            submitted_at=now,
        )
    )
    await session.execute(sa.update(surveys).where(surveys.c.id == survey.id).values(answered_at=now))
    submitted = SurveyResponseSubmitted(
        journey_id=survey.journey_id,
        subscription_id=survey.subscription_id,
        customer_id=survey.customer_id,
        segment=survey.segment,
        reason=answer.reason,
        score=answer.score,
        comment=answer.comment,
        may_contact=answer.may_contact,
        submitted_at=now,
    )
    await add_to_outbox(
        session,
        topic=topics.survey_responses,
        key=survey.subscription_id,
        event=new_event(submitted.event_type, SOURCE, submitted.model_dump(mode="json"), subject=survey.journey_id),
    )
    return "thanks", survey


async def erase(command: ErasePersonalData, session: AsyncSession, *, topics: Topics, now: datetime) -> None:
    """Free text goes, and so does the link; reason, score, segment and dates stay for insights."""
    await session.execute(
        sa.update(answers)
        .where(answers.c.journey_id == command.journey_id)
        .values(comment=None, reason_other=None, erased_at=now)
    )
    await session.execute(sa.update(surveys).where(surveys.c.journey_id == command.journey_id).values(token_hash=None))
    # The published answer carried the comment: drop this service's copy of it.
    await session.execute(
        sa.delete(outbox).where(outbox.c.key == command.subscription_id, outbox.c.topic == topics.survey_responses)
    )
