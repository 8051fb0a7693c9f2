"""Signing in with an API token (the same tokens and roles as /v1), and out."""

import zoneinfo
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from orchestrator.console import texts
from orchestrator.console.forms import posted
from orchestrator.console.session import SIGN_IN_COOKIE, same_token
from orchestrator.console.web import Console, see_other
from shared.auth import TokenAuth, client_address
from shared.i18n import known_timezone


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def sign_in_router(console: Console, auth: TokenAuth) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(request: Request, *, lang: str, status: int = 200, problem: str | None = None) -> Response:
        # The form's CSRF token lives in a cookie of its own until a session exists (double submit).
        token = console.sessions.sign_in_token(request)
        response = console.render(
            "sign_in.html.j2",
            lang=lang,
            status=status,
            problem=problem,
            hours=texts.number(console.session_hours, lang),
            languages=texts.LANGUAGES,
            zones=time_zones(),
            csrf=token,
        )
        console.sessions.keep_sign_in_token(response, token)
        return response

    @router.get("/console")
    async def home(request: Request) -> Response:
        return see_other("/console/journeys" if console.sessions.staff(request) else "/console/sign-in")

    @router.get("/console/sign-in")
    async def sign_in_page(request: Request) -> Response:
        return form(request, lang=texts.language(request.headers.get("accept-language")))

    @router.post("/console/sign-in")
    async def sign_in(request: Request) -> Response:
        values = await posted(request)
        lang = values.get("lang") if values.get("lang") in texts.LANGUAGES else "en"
        if not same_token(values.get("csrf"), request.cookies.get(SIGN_IN_COOKIE, "")):
            return form(request, lang=lang, status=403, problem="sign_in.expired")
        principal, wait = auth.check(str(values.get("token", "")), client_address(request))
        if wait is not None:
            response = form(request, lang=lang, status=429, problem="sign_in.throttled")
            response.headers["Retry-After"] = str(wait)
            return response
        if principal is None:
            return form(request, lang=lang, status=401, problem="sign_in.refused")
        tz = values.get("tz") if known_timezone(values.get("tz")) else "UTC"
        response = see_other("/console/journeys")
        console.sessions.sign_in(response, principal=principal.name, role=principal.role, lang=lang, tz=tz)
        return response

    @router.post("/console/sign-out")
    async def sign_out(request: Request) -> Response:
        staff = console.sessions.staff(request)
        values = await posted(request)
        if staff is not None and not same_token(values.get("csrf"), staff.csrf):
            return see_other("/console/journeys")
        response = see_other("/console/sign-in")
        console.sessions.sign_out(response)
        return response

    return router
