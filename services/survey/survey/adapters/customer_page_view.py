"""The leaving customer's own page as HTML: the journey's state and dates in the customer's language and time zone,
their data, the way back, the exit survey inline, the help form; under the company's brand, without JavaScript.
Jinja2 autoescapes: whatever a customer typed comes back as text, never as markup."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shared.brand import Brand
from shared.i18n import format_date
from survey.adapters.page_words import WORDS
from survey.adapters.pages import TEXTS, environment, language
from survey.domain.answers import COMMENT_LIMIT, OTHER_LIMIT, REASONS
from survey.domain.customer_page import HELP_MESSAGE_LIMIT, HELP_TOPICS, REACH_BY, Outlook


@dataclass(frozen=True)
class HelpSent:
    """The latest help request, as the page acknowledges it."""

    topic: str
    reach_by: str
    requested_at: datetime


@dataclass(frozen=True)
class Forms:
    """What a refused form post brings back to the page: the values typed and the fields to fix."""

    survey_values: dict[str, Any] = field(default_factory=dict)
    survey_errors: dict[str, str] = field(default_factory=dict)
    help_values: dict[str, Any] = field(default_factory=dict)
    help_errors: dict[str, str] = field(default_factory=dict)
    contact_error: bool = False  # the contact preference form came without a choice
    done: str | None = None  # "help", "survey" or "contact": the post that just went through


def page_language(requested: str | None, page_locale: str | None) -> str:
    """The language asked for with ?lang= (the switch on the page), else the customer's own."""
    return requested if requested in WORDS else language(page_locale)


def customer_page(
    *,
    token: str,
    page: sa.Row,
    outlook: Outlook,
    lang: str,
    brand: Brand,
    hand_over_call: str | None,  # b2b: where to book a call with the account manager
    survey: str | None,  # "open", "answered" or None (the journey has no survey)
    latest_help: HelpSent | None,
    forms: Forms,
) -> str:
    t = WORDS[lang]
    tz = page.timezone

    def date(moment: datetime) -> str:
        return format_date(moment, tz, lang)

    plan = page.plan or brand.name
    erased_on = date(page.erased_at) if page.erased_at else ""
    lead = t["lead"][outlook.state].format(
        access_end=date(page.effective_at),
        reactivated=date(page.reactivated_at) if page.reactivated_at else "",
        erased=erased_on,
    )
    dates = [(t["cancelled_on"], date(page.cancelled_at), None)]
    ended = outlook.access_days < 0 or outlook.state in ("access_ended", "erased")
    if outlook.state == "reactivated":  # the access goes on: no end, no deletion
        dates.append((t["reactivated_on"], date(page.reactivated_at), None))
    else:
        access = t["access_ended_on"] if ended else t["access_until"]
        dates.append((access, date(page.effective_at), _days(t, outlook.access_days)))
    if page.erased_at:
        dates.append((t["deleted_was"], erased_on, None))
    elif page.deletion_at and outlook.state != "reactivated":
        dates.append((t["deleted_on"], date(page.deletion_at), _days(t, outlook.deletion_days)))
    base = f"/p/{token}"
    survey_texts = TEXTS[lang]
    return (
        environment()
        .get_template("customer_page.html.j2")
        .render(
            locale=lang,
            t=t,
            brand=brand,
            state=outlook.state,
            heading=t["heading"][outlook.state].format(plan=plan),
            lead=lead,
            dates=dates,
            data_text=t["data_text"].format(until=date(page.deletion_at))
            if page.deletion_at
            else t["data_text_no_deletion"],
            payment_failed=page.initiated_by == "payment_failure",
            offers_way_back=outlook.offers_way_back,
            offers_help=outlook.offers_help,
            export_href=f"{base}/go/export",
            way_back_href=f"{base}/go/come_back",
            hand_over_call=hand_over_call if page.segment == "b2b" and outlook.offers_way_back else None,
            manager=page.account_manager if page.segment == "b2b" else None,
            switch_href=f"{base}?lang={'de' if lang == 'en' else 'en'}",
            switch_lang="de" if lang == "en" else "en",
            survey=survey,
            survey_t=survey_texts,
            survey_action=f"{base}/survey?lang={lang}",
            reasons=REASONS,
            comment_limit=COMMENT_LIMIT,
            other_limit=OTHER_LIMIT,
            help_action=f"{base}/help?lang={lang}",
            contact_action=f"{base}/contact?lang={lang}",
            marketing_consent=bool(page.marketing_consent),
            help_topics=HELP_TOPICS,
            reach_by=REACH_BY,
            help_limit=HELP_MESSAGE_LIMIT,
            latest_help=_help_sent(t, latest_help, date) if latest_help else None,
            forms=forms,
        )
    )


def _days(t: dict, n: int | None) -> str | None:
    if n is None:
        return None
    days = t["days"]
    if n < -1:
        return days["past"].format(n=-n)
    return {-1: days["yesterday"], 0: days["today"], 1: days["tomorrow"]}.get(n) or days["future"].format(n=n)


def _help_sent(t: dict, latest: HelpSent, date) -> str:
    return t["help_sent"].format(
        when=date(latest.requested_at), topic=t["help_topics"][latest.topic], reach=t["reach"][latest.reach_by]
    )


def help_errors(lang: str, fields: list[str]) -> dict[str, str]:
    messages = WORDS[lang]["help_errors"]
    return {name: messages[name] for name in fields}


def page_message(lang: str, which: str, *, brand: Brand) -> str:
    """A short page instead of the customer's page: unknown, expired, too_large, too_many."""
    t = WORDS[lang]
    title, paragraphs = t[which]
    return (
        environment()
        .get_template("message.html.j2")
        .render(locale=lang, t=t, brand=brand, title=title, paragraphs=paragraphs)
    )
