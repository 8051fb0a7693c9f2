"""The leaving customer's own page (/p/{token}): the page, its help form, the exit survey inline, and the
counted way out to the company's export and come-back links. Forms post back and are answered with a redirect
to the page (post/redirect/get), or with the page and what to fix (422)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.brand import Brand, BrandSettings
from shared.http import PlainPath, PlainQuery, documented_pages
from shared.keyring import Keyring
from shared.rate_limit import RateLimit
from survey.adapters.customer_page_view import Forms, HelpSent, customer_page, help_errors, page_language, page_message
from survey.adapters.pages import field_errors
from survey.domain.answers import Answer, form_values
from survey.domain.customer_page import HelpRequestInvalid, Journey, help_request, marketing_choice, outlook
from survey.service_layer import customer_pages
from survey.service_layer.handlers import Topics, answer_survey, survey_of_journey

MAX_FORM = 16_384
WAYS_OUT = ("export", "come_back")  # /p/{token}/go/{where}: the company's links, counted


@dataclass(frozen=True)
class PageSetup:
    sessions: async_sessionmaker[AsyncSession]
    topics: Topics
    results_topic: str
    keyring_schema: str
    clock: Callable[[], datetime]
    brand: Brand
    company: BrandSettings  # the company's links, the same settings as the emails'
    hand_over_call_url: str | None
    # Per page (its token): views and posts; a flood on one link is answered 429 before the database is asked.
    views: RateLimit
    posts: RateLimit
    visits: customer_pages.VisitTally  # visits counted in memory, written every few seconds


def customer_page_router(setup: PageSetup) -> APIRouter:
    router = APIRouter(tags=["customer page"])
    s = setup

    @router.get(
        "/p/{token}",
        response_class=HTMLResponse,
        responses=documented_pages(404, 410, 429),
        summary="The leaving customer's own page (HTML, works without JavaScript)",
    )
    async def show(token: PlainPath, lang: PlainQuery = None, done: PlainQuery = None) -> Response:
        if (refusal := _limited(s.views, token, lang, s.brand)) is not None:
            return refusal
        async with s.sessions() as session:
            found = await customer_pages.find_page(session, token)
        if found is not None and _outlook(found, s.clock()).state != "expired":
            s.visits.add(found)
        return _page(token, found, lang, Forms(done=done if done in ("help", "survey", "contact") else None))

    @router.post(
        "/p/{token}/help",
        response_class=HTMLResponse,
        responses=documented_pages(303, 404, 409, 410, 413, 422, 429),
        summary='The "I need help" form: a support follow-up on the journey',
    )
    async def ask_for_help(token: PlainPath, request: Request, lang: PlainQuery = None) -> Response:
        if isinstance(form := await _posted(token, request, lang), Response):
            return form
        async with s.sessions() as session, session.begin():
            found = await customer_pages.find_page(session, token)
            if (refusal := _closed_to_forms(token, found, lang)) is not None:
                return refusal
            try:
                asked = help_request(form)
            except HelpRequestInvalid as exc:
                language = page_language(lang, found.locale)
                forms = Forms(help_values=form, help_errors=help_errors(language, exc.fields))
                return _page(token, found, lang, forms, status=422)
            keyring = Keyring(session, s.keyring_schema)
            await customer_pages.request_help(
                found, asked, session, results_topic=s.results_topic, now=s.clock(), keyring=keyring
            )
        return _back(token, lang, "help")

    @router.post(
        "/p/{token}/contact",
        response_class=HTMLResponse,
        responses=documented_pages(303, 404, 409, 410, 413, 422, 429),
        summary="The customer's contact preference (offers by email after leaving: marketing=yes or no)",
    )
    async def choose_contact(token: PlainPath, request: Request, lang: PlainQuery = None) -> Response:
        if isinstance(form := await _posted(token, request, lang), Response):
            return form
        async with s.sessions() as session, session.begin():
            found = await customer_pages.find_page(session, token)
            if (refusal := _closed_to_forms(token, found, lang)) is not None:
                return refusal
            consent = marketing_choice(form)
            if consent is None:
                return _page(token, found, lang, Forms(contact_error=True), status=422)
            keyring = Keyring(session, s.keyring_schema)
            await customer_pages.change_marketing_consent(
                found, consent, session, results_topic=s.results_topic, now=s.clock(), keyring=keyring
            )
        return _back(token, lang, "contact")

    @router.post(
        "/p/{token}/survey",
        response_class=HTMLResponse,
        responses=documented_pages(303, 404, 409, 410, 413, 422, 429),
        summary="The exit survey answered on the customer's page",
    )
    async def answer(token: PlainPath, request: Request, lang: PlainQuery = None) -> Response:
        if isinstance(form := await _posted(token, request, lang), Response):
            return form
        async with s.sessions() as session, session.begin():
            found = await customer_pages.find_page(session, token)
            if found is None:
                return _page(token, None, lang, Forms())
            try:
                given = Answer.model_validate(form_values(form))
            except ValidationError as exc:
                fields = {str(e["loc"][0]) if e["loc"] else "reason" for e in exc.errors()}
                language = page_language(lang, found.locale)
                forms = Forms(survey_values=form, survey_errors=field_errors(language, fields))
                return _page(token, found, lang, forms, status=422)
            survey = await survey_of_journey(session, found.journey_id, lock=True)
            keyring = Keyring(session, s.keyring_schema)
            verdict, _ = await answer_survey(survey, given, session, topics=s.topics, now=s.clock(), keyring=keyring)
            if verdict == "thanks":
                await customer_pages.count(session, found, "survey_answer", s.clock())
        if verdict != "thanks":
            return _page(token, found, lang, Forms(), status=409)
        return _back(token, lang, "survey")

    @router.get(
        "/p/{token}/go/{where}",
        responses=documented_pages(303, 404, 410, 429),
        summary="The company's export or come-back link, counted for insights",
    )
    async def go(token: PlainPath, where: PlainPath, lang: PlainQuery = None) -> Response:
        if (refusal := _limited(s.views, token, lang, s.brand)) is not None:
            return refusal
        if where not in WAYS_OUT:
            return _short(lang, None, "unknown", 404)
        async with s.sessions() as session, session.begin():
            found = await customer_pages.find_page(session, token)
            if found is None or not _outlook(found, s.clock()).offers_way_back:
                return _page(token, found, lang, Forms())
            await customer_pages.count(session, found, f"{where}_click", s.clock())
        if where == "export":
            target = s.company.link("export", subscription_id=found.subscription_id, segment=found.segment)
        else:
            way = "payment_update" if found.initiated_by == "payment_failure" else "reactivate"
            target = s.company.link(way, subscription_id=found.subscription_id, segment=found.segment)
        return RedirectResponse(target, status_code=303)

    def _page(token: str, found, lang: str | None, forms: Forms, *, status: int | None = None) -> Response:
        if found is None:
            return _short(lang, None, "unknown", 404)
        now = s.clock()
        seen = _outlook(found, now)
        if seen.state == "expired":
            return _short(lang, found.locale, "expired", 410)
        survey = None
        if found.survey_id is not None:
            survey = "answered" if found.survey_answered_at else ("open" if found.survey_expires_at > now else None)
        latest = None
        if found.help_topic is not None and seen.offers_help:
            latest = HelpSent(found.help_topic, found.help_reach_by, found.help_requested_at)
        html = customer_page(
            token=token,
            page=found,
            outlook=seen,
            lang=page_language(lang, found.locale),
            brand=s.brand,
            hand_over_call=s.hand_over_call_url,
            survey=survey,
            latest_help=latest,
            forms=forms,
        )
        return HTMLResponse(html, status_code=status or 200)

    def _closed_to_forms(token: str, found, lang: str | None) -> Response | None:
        """The page as it is when it takes no help request or contact choice (unknown, expired, erased: 409)."""
        if found is None or not _outlook(found, s.clock()).offers_help:
            return _page(token, found, lang, Forms(), status=409 if found is not None else None)
        return None

    async def _posted(token: str, request: Request, lang: str | None) -> dict[str, str] | Response:
        """A form post's fields, or the answer refusing it: too many posts on this page (429), too large (413)."""
        if (refusal := _limited(s.posts, token, lang, s.brand)) is not None:
            return refusal
        body = await request.body()
        if len(body) > MAX_FORM:
            return _short(lang, None, "too_large", 413)
        return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}

    def _short(lang: str | None, locale: str | None, which: str, status: int) -> HTMLResponse:
        return HTMLResponse(page_message(page_language(lang, locale), which, brand=s.brand), status_code=status)

    return router


def _outlook(found, now: datetime):
    return outlook(
        Journey(
            status=found.status,
            segment=found.segment,
            initiated_by=found.initiated_by,
            timezone=found.timezone,
            cancelled_at=found.cancelled_at,
            effective_at=found.effective_at,
            deletion_at=found.deletion_at,
            reactivated_at=found.reactivated_at,
            erased_at=found.erased_at,
            valid_until=found.valid_until,
        ),
        now,
    )


def _limited(limit: RateLimit, token: str, lang: str | None, brand: Brand) -> Response | None:
    wait = limit.wait(token[:64])
    if wait is None:
        return None
    page = page_message(page_language(lang, None), "too_many", brand=brand)
    return HTMLResponse(page, status_code=429, headers={"Retry-After": str(wait)})


def _back(token: str, lang: str | None, done: str) -> RedirectResponse:
    query = f"?done={done}" + (f"&lang={lang}" if lang in ("en", "de") else "")
    return RedirectResponse(f"/p/{token}{query}#{done}", status_code=303)
