"""Messages rendered for an author's preview, not sent: the orchestrator's preview and dry-run send the
commands a journey would send, and get back each email exactly as the customer would receive it."""

from types import SimpleNamespace

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from notifier.adapters.context import render_preview
from notifier.adapters.rendering import Renderer, RenderError
from notifier.config import Settings
from shared.auth import TokenAuth
from shared.events.commands import MessageCommand, Recipient
from shared.http import documented_errors


class RenderCommand(MessageCommand):
    """A message step read strictly (an attempt of 2.0 or a consent of 0 is refused): over HTTP the JSON schema
    is the contract. Its recipient (and a survey link in `facts.survey_url`) is in the clear: a preview is
    rendered and answered to the caller, never sent, and it never travels over Kafka."""

    model_config = ConfigDict(strict=True)

    recipient: Recipient


class RenderRequest(BaseModel):
    items: list[RenderCommand] = Field(max_length=100)


class Rendered(BaseModel):
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    locale: str | None = None
    category: str | None = None
    problem: str | None = None  # why this message could not be rendered; the others still are


class RenderPage(BaseModel):
    items: list[Rendered]


def renders_router(auth: TokenAuth, settings: Settings, renderer: Renderer) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["previews"], responses=documented_errors(401, 403, 422))
    Viewer = auth.require("viewer")

    @router.post(
        "/renders",
        response_model=RenderPage,
        summary="Render send-message commands as the customer would receive them; nothing is stored or sent",
    )
    async def render(body: RenderRequest, _principal: Viewer) -> dict:
        return {"items": [render_one(command, settings, renderer) for command in body.items]}

    return router


def render_one(command: RenderCommand, settings: Settings, renderer: Renderer) -> dict:
    if command.channel != "email":
        return {"problem": f"{command.channel} messages have no email to show"}
    delivery = SimpleNamespace(
        recipient=command.recipient.model_dump(),
        facts=command.facts,
        segment=command.segment,
        subscription_id=command.subscription_id,
    )
    try:
        rendered = render_preview(renderer, settings, delivery, message=command.message, category=command.category)
    except (RenderError, ValueError) as exc:
        return {"problem": str(exc) if isinstance(exc, RenderError) else f"cannot be rendered: {exc}"}
    return {
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "locale": rendered.locale,
        "category": rendered.category,
    }
