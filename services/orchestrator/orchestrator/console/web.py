"""What every console page shares: the parts it reads from (database, other services, counts), the signed-in
staff member, rendering with the right language and time zone, and the headers every page carries."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.adapters.peers import Peers
from orchestrator.adapters.status_counts import StatusCounts
from orchestrator.console import texts
from orchestrator.console.session import Sessions, Staff
from orchestrator.domain.templates import Catalogue
from orchestrator.service_layer.experiments import Experiments
from orchestrator.service_layer.previews import Previews
from orchestrator.service_layer.unit_of_work import UnitOfWork

HERE = Path(__file__).parent
# No script at all, styles from our own file, forms only to ourselves, never framed by another site.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'"
)
# An email preview: its own inline styles, no scripts, no network, sandboxed.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
HEADERS = {
    "Cache-Control": "no-store",  # pages hold personal data: never kept by the browser or a proxy
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SignInRequired(Exception):
    """The page needs a signed-in staff member: answered with the sign-in page."""


class NotAllowed(Exception):
    """The page or action needs the operator role: answered with a page that says so."""

    def __init__(self, staff: Staff) -> None:
        super().__init__("operator role needed")
        self.staff = staff


@dataclass
class Console:
    db: async_sessionmaker[AsyncSession]
    uow_factory: Callable[[AsyncSession], UnitOfWork]
    sessions: Sessions
    peers: Peers
    counts: StatusCounts
    catalogue: Catalogue
    session_hours: float
    previews: Previews
    experiments: Experiments

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def staff(self, request: Request, *, operator: bool = False) -> Staff:
        staff = self.sessions.staff(request)
        if staff is None:
            raise SignInRequired
        if operator and not staff.operator:
            raise NotAllowed(staff)
        return staff

    def page(self, name: str, staff: Staff, **context: Any) -> HTMLResponse:
        """A page for a signed-in staff member: their language and time zone."""
        return self.render(name, lang=staff.lang, tz=staff.tz, staff=staff, **context)

    def error(self, staff: Staff, status: int) -> HTMLResponse:
        return self.page("error.html.j2", staff, status=status, code=status)

    def render(
        self, name: str, *, lang: str, tz: str = "UTC", staff: Staff | None = None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        template = self.env.get_template(name)
        html = template.render(
            t=lambda key, **values: texts.text(lang, key, **values),
            when=lambda value, zone=None: texts.moment(value, zone or tz, lang),
            number=lambda value, digits=0: texts.number(value, lang, digits=digits),
            percent=lambda value: texts.percent(value, lang),
            month=lambda value: texts.month(value, lang),
            lang=lang,
            tz=tz,
            staff=staff,
            query=urlencode,
            **context,
        )
        return secured(HTMLResponse(html, status_code=status))


def secured(response: Response, *, csp: str = CSP) -> Response:
    response.headers.update(HEADERS | {"Content-Security-Policy": csp})
    return response


def see_other(url: str) -> RedirectResponse:
    return secured(RedirectResponse(url, status_code=303))
