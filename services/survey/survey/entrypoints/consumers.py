"""Kafka entry point: the orchestrator's commands to the survey service, typed, to the handlers a batch at a
time (create-survey commands together; a page update or an erasure after the commands before it)."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import CreateSurvey, ErasePersonalData, UpdateCustomerPage
from shared.keyring import Keyring
from shared.messaging.commands import commands_in_order
from shared.messaging.consumer import BatchHandler
from survey.service_layer.customer_pages import PageRules, erase_page, update_page
from survey.service_layer.handlers import Links, Topics, create_surveys, erase


def commands_handler(
    topics: Topics, links: Links, clock: Callable[[], datetime], keyring_schema: str, rules: PageRules
) -> BatchHandler:
    async def create(commands: list[tuple[str, CreateSurvey]], session: AsyncSession) -> None:
        keyring = Keyring(session, keyring_schema)
        await create_surveys(commands, session, topics=topics, links=links, now=clock(), keyring=keyring)

    async def show(command: UpdateCustomerPage, session: AsyncSession) -> None:
        await update_page(command, session, keyring=Keyring(session, keyring_schema), rules=rules)

    async def forget(command: ErasePersonalData, session: AsyncSession) -> None:
        await erase(command, session, topics=topics, now=clock())
        await erase_page(command.journey_id, session, now=clock())

    return commands_in_order(
        "survey service",
        batched=CreateSurvey,
        run=create,
        single={ErasePersonalData: forget, UpdateCustomerPage: show},
    )
