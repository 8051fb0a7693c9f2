"""Handlers: a create-survey command (answered with the link), a submitted answer (published as
survey.response.submitted), an erasure. Each runs in the caller's transaction; messages go out through the
outbox."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import CreateSurvey, ErasePersonalData, SurveyResponseSubmitted
from shared.events.envelope import new_event
from shared.keyring import Keyring
from shared.outbox.step_results import queue_signed, step_result
from shared.outbox.table import add_many_to_outbox, outbox
from shared.sealing import seal
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


# A batch of surveys in one statement whose text never changes (arrays, not a VALUES list as long as the batch).
CREATE_SURVEYS = sa.text(
    """
    INSERT INTO surveys (id, journey_id, subscription_id, customer_id, segment, plan, template, locale, token_hash,
                         created_at, expires_at)
    SELECT gen_random_uuid(), n.journey_id, n.subscription_id, n.customer_id, n.segment, n.plan, n.template,
           n.locale, n.token_hash, :now, :expires_at
    FROM unnest(CAST(:journey_ids AS text[]), CAST(:subscription_ids AS text[]), CAST(:customer_ids AS text[]),
                CAST(:segments AS text[]), CAST(:plans AS text[]), CAST(:templates AS text[]),
                CAST(:locales AS text[]), CAST(:token_hashes AS text[]))
         AS n(journey_id, subscription_id, customer_id, segment, plan, template, locale, token_hash)
    ON CONFLICT (journey_id) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at
    WHERE surveys.answered_at IS NULL AND surveys.token_hash IS NOT NULL
    RETURNING journey_id, id
    """
)


async def create_surveys(
    commands: list[tuple[str, CreateSurvey]],
    session: AsyncSession,
    *,
    topics: Topics,
    links: Links,
    now: datetime,
    keyring: Keyring,
) -> None:
    """One survey per journey, each command answered with its link; a batch in three statements. A repeated
    command (the orchestrator retried) gets a fresh link for the same survey: only the hash of a link is kept,
    and the orchestrator uses the link of the command in flight. Repeats within one batch go in later rounds
    (one statement cannot change a row twice), so the last command's link is the one that works.

    The link is a secret (whoever holds it answers the survey): it leaves sealed with the journey's key, which
    only the notifier opens, and the answer is signed like every internal message."""
    keys = await keyring.get([c.journey_id for _, c in commands])
    answers_out, mac_keys = [], []
    for round_ in _one_per_journey(commands):
        tokens = [new_token(links.secret) for _ in round_]
        created = dict(
            (
                await session.execute(
                    CREATE_SURVEYS,
                    {
                        "now": now,
                        "expires_at": now + links.ttl,
                        "journey_ids": [c.journey_id for _, c in round_],
                        "subscription_ids": [c.subscription_id for _, c in round_],
                        "customer_ids": [c.customer_id for _, c in round_],
                        "segments": [c.segment for _, c in round_],
                        "plans": [c.plan for _, c in round_],
                        "templates": [c.template for _, c in round_],
                        "locales": [c.locale for _, c in round_],
                        "token_hashes": [token_hash for _, token_hash in tokens],
                    },
                )
            ).all()
        )
        for (command_id, command), (token, _) in zip(round_, tokens, strict=True):
            survey_id = created.get(command.journey_id)
            journey_keys = keys.get(command.journey_id)
            mac_keys.append(journey_keys.mac if journey_keys else None)
            if survey_id is None:
                outcome, reason, data = "failed", "this journey's survey is already answered or closed", {}
            elif journey_keys is None or journey_keys.seal is None:
                outcome, reason, data = "failed", "personal data erased", {}
            else:
                outcome, reason = "succeeded", None
                url = f"{links.public_url.rstrip('/')}/s/{token}"
                sealed = seal(journey_keys.seal, command.journey_id, {"url": url}).model_dump(mode="json")
                data = {"survey_id": str(survey_id), "sealed_survey_url": sealed}
            answers_out.append(
                step_result(
                    topic=topics.step_results,
                    source=SOURCE,
                    command_id=command_id,
                    answering=command,
                    outcome=outcome,
                    reason=reason,
                    retryable=False,
                    data=data,
                )
            )
    await add_many_to_outbox(session, answers_out, mac_keys=mac_keys)


def _one_per_journey(commands: list[tuple[str, CreateSurvey]]) -> list[list[tuple[str, CreateSurvey]]]:
    rounds: list[list[tuple[str, CreateSurvey]]] = []
    seen: list[set[str]] = []
    for item in commands:
        i = next((n for n, journeys in enumerate(seen) if item[1].journey_id not in journeys), len(seen))
        if i == len(seen):
            rounds.append([])
            seen.append(set())
        rounds[i].append(item)
        seen[i].add(item[1].journey_id)
    return rounds


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


async def survey_of_journey(session: AsyncSession, journey_id: str, *, lock: bool = False) -> sa.Row | None:
    """The journey's exit survey (the customer's page shows it inline), None when the journey has none yet."""
    query = sa.select(surveys).where(surveys.c.journey_id == journey_id, surveys.c.token_hash.is_not(None))
    return (await session.execute(query.with_for_update() if lock else query)).first()


async def submit_answer(
    token: str,
    answer: Answer,
    session: AsyncSession,
    *,
    topics: Topics,
    secret: bytes,
    now: datetime,
    keyring: Keyring,
) -> tuple[Verdict, sa.Row | None]:
    """Store the one answer of the survey and publish it, signed with the journey's key (the orchestrator reads
    only signed answers); or say why not. Locks the survey row."""
    survey = await find_survey(session, token, secret, lock=True)
    return await answer_survey(survey, answer, session, topics=topics, now=now, keyring=keyring)


async def answer_survey(
    survey: sa.Row | None, answer: Answer, session: AsyncSession, *, topics: Topics, now: datetime, keyring: Keyring
) -> tuple[Verdict, sa.Row | None]:
    """The answer to a survey found (and locked) by its link or by its journey (the customer's page)."""
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
    event = new_event(submitted.event_type, SOURCE, submitted.model_dump(mode="json"), subject=survey.journey_id)
    await queue_signed(session, [(topics.survey_responses, survey.subscription_id, event)], keyring)
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
