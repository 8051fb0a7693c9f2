"""The notifier's HTTP app: one-click unsubscribe for customers, the delivery log for support."""

import re
from datetime import datetime
from html import escape
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.tables import deliveries, suppressions, unsubscribe_tokens
from notifier.service_layer.sending import hash_token
from shared.auth import TokenAuth
from shared.http import (
    ApiError,
    PlainPath,
    PlainQuery,
    documented_errors,
    documented_pages,
    install_error_handlers,
    ops_router,
)

CURSOR = re.compile(r"^[0-9]{1,18}$")  # a delivery id: ASCII digits that fit a bigint


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
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None


def create_app(*, sessions: async_sessionmaker[AsyncSession], auth: TokenAuth, readiness, brand: str) -> FastAPI:
    app = FastAPI(
        title="Off-boarding notifier",
        version="0.1.0",
        description="One-click unsubscribe (RFC 8058) and the delivery log.",
    )
    install_error_handlers(
        app,
        page_prefixes=("/u/",),
        error_page=lambda status: page("This link is not valid", "It may be old, or mistyped.", status=status),
    )
    app.include_router(ops_router(readiness))
    app.include_router(unsubscribe_router(sessions, brand))
    app.include_router(deliveries_router(sessions, auth))
    return app


def page(title: str, text: str, *, status: int = 200, form_action: str | None = None) -> HTMLResponse:
    button = (
        (
            f'<form method="post" action="{escape(form_action)}"><input type="hidden" name="List-Unsubscribe" '
            f'value="One-Click"><button type="submit">Unsubscribe</button></form>'
        )
        if form_action
        else ""
    )
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{escape(title)}</title></head>'
        f'<body style="font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5">'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{button}</body></html>",
        status_code=status,
    )


def unsubscribe_router(sessions: async_sessionmaker[AsyncSession], brand: str) -> APIRouter:
    router = APIRouter(tags=["unsubscribe"], responses=documented_pages(404))

    @router.get("/u/{token}", response_class=HTMLResponse, summary="Confirm page (a GET never unsubscribes)")
    async def confirm(token: PlainPath) -> HTMLResponse:
        # Link scanners follow GET links: only the POST (the mail client's one-click, or this button) acts.
        async with sessions() as session:
            known = await session.scalar(
                sa.select(unsubscribe_tokens.c.token_hash).where(unsubscribe_tokens.c.token_hash == hash_token(token))
            )
        if known is None:
            return page("This link is not valid", "It may be old, or mistyped.", status=404)
        return page(
            f"Unsubscribe from {brand} offers?",
            "You will get no more offers from us. Messages about your account still reach you.",
            form_action=f"/u/{token}",
        )

    @router.post("/u/{token}", response_class=HTMLResponse, summary="One-click unsubscribe (RFC 8058)")
    async def unsubscribe(token: PlainPath) -> HTMLResponse:
        async with sessions() as session, session.begin():
            row = (
                await session.execute(
                    sa.update(unsubscribe_tokens)
                    .where(unsubscribe_tokens.c.token_hash == hash_token(token))
                    .values(used_at=sa.func.coalesce(unsubscribe_tokens.c.used_at, sa.func.now()))
                    .returning(unsubscribe_tokens.c.recipient_hash)
                )
            ).first()
            if row is not None:
                await session.execute(
                    insert(suppressions)
                    .values(recipient_hash=row.recipient_hash, reason="one-click unsubscribe")
                    .on_conflict_do_nothing()
                )
        if row is None:
            return page("This link is not valid", "It may be old, or mistyped.", status=404)
        return page(
            "You are unsubscribed",
            f"You will get no more offers from {brand}. "
            "Messages about your account, such as the end of your access, still reach you.",
        )

    return router


def deliveries_router(sessions: async_sessionmaker[AsyncSession], auth: TokenAuth) -> APIRouter:
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

    return router
