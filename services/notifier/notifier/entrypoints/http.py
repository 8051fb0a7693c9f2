"""The notifier's HTTP app: one-click unsubscribe for customers; the delivery log (delivery_log.py) for support;
messages rendered for previews (renders.py)."""

from html import escape

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.rendering import Renderer
from notifier.adapters.repository import hash_token
from notifier.adapters.tables import unsubscribe_tokens
from notifier.config import Settings
from notifier.entrypoints.delivery_log import delivery_log_router
from notifier.entrypoints.renders import renders_router
from notifier.entrypoints.reputation import reputation_router
from notifier.entrypoints.suppressions import suppressions_router
from notifier.service_layer.reputation import ReputationGuard
from notifier.service_layer.unsubscribes import unsubscribe
from shared.auth import TokenAuth
from shared.http import (
    PlainPath,
    documented_pages,
    install_error_handlers,
    ops_router,
)
from shared.page_security import CustomerPages
from shared.v1 import dead_letters_router


def create_app(
    *,
    sessions: async_sessionmaker[AsyncSession],
    auth: TokenAuth,
    readiness,
    settings: Settings,
    renderer: Renderer,
    email_webhooks: APIRouter | None = None,
    reputation: ReputationGuard | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Off-boarding notifier",
        version="0.1.0",
        description="One-click unsubscribe (RFC 8058) and the delivery log.",
    )
    install_error_handlers(
        app,
        page_prefixes=("/u/",),
        error_page=lambda _request, status: page(
            "This link is not valid", "It may be old, or mistyped.", status=status
        ),
    )
    # The unsubscribe pages and their error pages: security headers, and no form post from another site (a mail
    # provider's one-click post has no Origin and is taken).
    app.add_middleware(
        CustomerPages,
        prefixes=("/u/",),
        public_url=settings.public_url,
        refusal_page=lambda: (
            page(
                "This request did not come from our page", "Nothing was changed. Use the link in the email.", status=403
            ).body
        ),
    )
    app.include_router(ops_router(readiness, reputation.readiness_details if reputation else None))
    app.include_router(dead_letters_router(sessions, auth))
    app.include_router(unsubscribe_router(sessions, settings))
    app.include_router(delivery_log_router(sessions, auth, settings, renderer))
    app.include_router(suppressions_router(sessions, auth, settings.address_key_bytes()))
    if email_webhooks is not None:
        app.include_router(email_webhooks)
    if reputation is not None:
        app.include_router(reputation_router(sessions, auth, reputation))
    app.include_router(renders_router(auth, settings, renderer))
    return app


# One inline style block (the pages' Content-Security-Policy allows it by its hash), no style attributes.
PAGE_STYLE = "body{font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}"


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
        f'content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{PAGE_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p>{button}</body></html>",
        status_code=status,
    )


def unsubscribe_router(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> APIRouter:
    brand = settings.brand_name
    router = APIRouter(tags=["unsubscribe"], responses=documented_pages(404, 422))

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
    async def one_click(token: PlainPath) -> HTMLResponse:
        known = await unsubscribe(
            sessions, token, topic=settings.topic_step_results, keyring_schema=settings.keyring_schema
        )
        if not known:
            return page("This link is not valid", "It may be old, or mistyped.", status=404)
        return page(
            "You are unsubscribed",
            f"You will get no more offers from {brand}. "
            "Messages about your account, such as the end of your access, still reach you.",
        )

    return router
