"""The delivery log for support: what was sent to a journey's customer, when, how, with which subject; and a
delivery's email re-rendered as it went out, the customer's name masked (the console's preview)."""

import re
from datetime import datetime
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.context import render_preview
from notifier.adapters.rendering import Renderer, RenderError
from notifier.adapters.tables import deliveries
from notifier.config import Settings
from shared.auth import TokenAuth
from shared.http import ApiError, PlainPath, PlainQuery, documented_errors

CURSOR = re.compile(r"^[0-9]{1,18}$")  # a delivery id: ASCII digits that fit a bigint
MASKED = "▒▒▒"  # what a preview shows in place of the customer's name or company
SURVEY_LINK_HIDDEN = "hidden-in-previews"  # in place of a survey link's token


class Delivery(BaseModel):
    command_id: str
    journey_id: str
    subscription_id: str
    step: str
    attempt: int
    message: str
    channel: str
    category: str
    status: str
    reason: str | None
    provider_message_id: str | None
    subject: str | None
    created_at: datetime
    sent_at: datetime | None
    feedback_kind: str | None = None  # what came back: hard | soft | complaint (status bounced | complained)
    feedback_code: str | None = None  # its status code (5.1.1, 421) or the complaint's feedback type (abuse)


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None


class Preview(BaseModel):
    subject: str
    text: str
    html: str
    locale: str


def delivery_log_router(
    sessions: async_sessionmaker[AsyncSession], auth: TokenAuth, settings: Settings, renderer: Renderer
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["deliveries"], responses=documented_errors(401, 403, 422))
    Viewer = auth.require("viewer")

    @router.get("/deliveries", response_model=DeliveryPage, summary="What was sent, when, how: newest first")
    async def list_deliveries(
        _principal: Viewer,
        journey_id: PlainQuery = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 100,
        cursor: Annotated[
            str | None, Query(pattern=CURSOR.pattern, description="next_cursor of the previous page")
        ] = None,
    ) -> dict:
        query = sa.select(deliveries)
        if journey_id:
            query = query.where(deliveries.c.journey_id == journey_id)
        if cursor:
            if not CURSOR.match(cursor):
                raise ApiError(422, "invalid_cursor", "use next_cursor from the previous page")
            query = query.where(deliveries.c.id < int(cursor))
        async with sessions() as session:
            rows = (await session.execute(query.order_by(deliveries.c.id.desc()).limit(limit + 1))).all()
        items = [row._asdict() for row in rows[:limit]]
        return {"items": items, "next_cursor": str(rows[limit - 1].id) if len(rows) > limit else None}

    @router.get(
        "/deliveries/{command_id}/preview",
        response_model=Preview,
        responses=documented_errors(404, 409, 410),
        summary="An email delivery re-rendered as it went out, with the customer's name and company masked",
    )
    async def preview(command_id: PlainPath, _principal: Viewer) -> dict:
        async with sessions() as session:
            row = (await session.execute(sa.select(deliveries).where(deliveries.c.command_id == command_id))).first()
        if row is None or row.channel != "email":
            raise ApiError(404, "delivery_not_found", "no email delivery with this command id")
        if row.recipient is None:
            raise ApiError(410, "erased", "the customer's personal data is erased: the message cannot be shown again")
        masked = SimpleNamespace(
            recipient=row.recipient
            | {"name": MASKED, "company": MASKED if row.recipient.get("company") else None}
            # The customer's page link is their key to the page: shown as where it leads, not the token.
            | ({"page_url": _hidden(row.recipient["page_url"])} if row.recipient.get("page_url") else {}),
            # The survey link is the customer's key to their survey: staff see where it leads, not the token.
            facts=row.facts | ({"survey_url": _hidden(row.facts["survey_url"])} if row.facts.get("survey_url") else {}),
            segment=row.segment,
            subscription_id=row.subscription_id,
        )
        try:
            rendered = render_preview(renderer, settings, masked, message=row.message, category=row.category)
        except (RenderError, ValueError) as exc:
            raise ApiError(409, "not_renderable", f"this message cannot be rendered: {type(exc).__name__}") from None
        return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html, "locale": rendered.locale}

    return router


def _hidden(url: str) -> str:
    """A survey or page link with its token replaced: the same host and path, nothing that opens it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/{SURVEY_LINK_HIDDEN}"
