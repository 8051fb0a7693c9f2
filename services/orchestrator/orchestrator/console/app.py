"""Mounts the console on the orchestrator's HTTP app: its pages, its stylesheet, and what happens when a page
needs a session (the sign-in page) or a higher role (a page that says so)."""

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from orchestrator.console.actions import actions_router
from orchestrator.console.experiments import experiments_page_router
from orchestrator.console.pages import journeys_router
from orchestrator.console.previews import previews_page_router
from orchestrator.console.reports import reports_router
from orchestrator.console.reputation import reputation_router
from orchestrator.console.sign_in import sign_in_router
from orchestrator.console.texts import language
from orchestrator.console.web import HERE, Console, NotAllowed, SignInRequired, see_other
from shared.auth import TokenAuth


def mount_console(app: FastAPI, console: Console, auth: TokenAuth) -> None:
    for router in (
        sign_in_router(console, auth),
        journeys_router(console),
        actions_router(console),
        reports_router(console),
        reputation_router(console),
        previews_page_router(console),
        experiments_page_router(console),
    ):
        app.include_router(router)

    @app.get("/console/static/console.css", include_in_schema=False)
    async def stylesheet() -> Response:
        return FileResponse(
            HERE / "static" / "console.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    @app.exception_handler(SignInRequired)
    async def sign_in_first(_request: Request, _exc: SignInRequired) -> Response:
        return see_other("/console/sign-in")

    @app.exception_handler(NotAllowed)
    async def not_allowed(_request: Request, exc: NotAllowed) -> Response:
        staff = exc.staff
        return console.error(staff, 403)


def error_page(console: Console):
    """The console's own page for errors raised before a page handler runs (a malformed id, a bad URL)."""

    def page(request: Request, status: int) -> Response:
        staff = console.sessions.staff(request)
        lang = staff.lang if staff else language(request.headers.get("accept-language"))
        return console.render("error.html.j2", lang=lang, staff=staff, status=status, code=status)

    return page
