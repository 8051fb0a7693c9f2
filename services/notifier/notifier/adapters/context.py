"""What a message may say: the template context built from a delivery (its recipient and facts) and the
settings (brand, links). The sender and the previews use the same one."""

from datetime import datetime
from typing import Any

from notifier.adapters.rendering import Rendered, Renderer, base_locale, format_date, format_time
from notifier.config import Settings


def message_context(row: Any, settings: Settings) -> dict[str, Any]:
    """The variables of a delivery's message; `row` has `recipient`, `facts`, `segment`, `subscription_id`."""
    s, facts, recipient = settings, row.facts, row.recipient
    timezone, locale = recipient.get("timezone"), base_locale(recipient.get("locale"))
    # Built, not concatenated: the id is percent-encoded whole (a "&next=" in it stays inside the parameter).
    filled = {
        f"{name}_url": s.link(name, subscription_id=row.subscription_id, segment=row.segment)
        for name in ("export", "reactivate", "payment_update")
    }
    context = {
        "brand": s.brand_name,
        "support_email": s.support_email,
        "app_url": s.app_url,
        "privacy_url": s.privacy_url,
        "name": recipient.get("name"),
        "company": recipient.get("company"),
        "account_manager": recipient.get("account_manager"),
        "page_url": recipient.get("page_url"),  # the customer's own page (none for journeys from before it)
        "segment": row.segment,
        "plan": facts.get("plan"),
        **filled,
    }
    context["deletion_date"] = None  # the messages say when the data goes only when the journey erases it
    for key in ("effective_at", "cancelled_at", "deletion_at"):
        if facts.get(key):
            moment = datetime.fromisoformat(facts[key])
            prefix = key.removesuffix("_at")
            context[f"{prefix}_date"] = format_date(moment, timezone, locale)
            context[f"{prefix}_time"] = format_time(moment, timezone)
    if facts.get("survey_url"):
        context["survey_url"] = facts["survey_url"]
    asked = facts.get("help")  # a help request from the page, which help_received acknowledges
    asked = asked if isinstance(asked, dict) else {}
    context["help_topic"], context["help_reach_by"] = asked.get("topic"), asked.get("reach_by")
    return context


UNSUBSCRIBE_PREVIEW = "/u/preview"  # a previewed marketing message's unsubscribe link leads nowhere real


def render_preview(renderer: Renderer, settings: Settings, delivery: Any, *, message: str, category: str) -> Rendered:
    """A message rendered for a person to look at, not to send (the delivery log's preview, the authors'
    renders); raises RenderError or ValueError as a send would."""
    unsubscribe = f"{settings.public_url.rstrip('/')}{UNSUBSCRIBE_PREVIEW}" if category == "marketing" else None
    return renderer.render(
        message=message,
        locale=delivery.recipient.get("locale"),
        segment=delivery.segment,
        context=message_context(delivery, settings),
        unsubscribe_url=unsubscribe,
    )
