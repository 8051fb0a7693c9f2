"""The customer's pages (the exit survey, the unsubscribe confirmation): what the browser is told to allow, and
which form posts are taken. An ASGI middleware, so that every answer under the pages' prefixes gets it, error
pages (404, 422, 500) included, whichever part of the app wrote them.

Headers on every answer under the prefixes:
- Content-Security-Policy: nothing may load or run but the page's own inline `<style>` blocks (allowed by their
  SHA-256, computed from the answer itself), images over https, and forms posting back to this origin; no
  script at all, no framing (`frame-ancestors 'none'`, and X-Frame-Options for old browsers), no `<base>`;
- Referrer-Policy: no-referrer (the page's address holds the customer's token; a click on the privacy link or
  the logo's request must not hand it to another site);
- Cache-Control: no-store (a shared computer's cache keeps no answer or form);
- X-Content-Type-Options: nosniff.

A POST under the prefixes is refused (403, before the route runs) when the browser says it comes from another
site: `Sec-Fetch-Site` other than `same-origin` or `none`, or else an `Origin` that is not this service's own.
A POST with neither header is taken: that is a mail provider's RFC 8058 one-click unsubscribe (a server, not a
browser) or a browser too old to send them.
"""

import base64
import hashlib
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
SAME_SITE_FETCHES = (b"same-origin", b"none")
NONE = "'none'"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{(parts.hostname or '').lower()}{port}"


def policy(body: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(css).digest()).decode()}'" for css in STYLE.findall(body)
    )
    return (
        "default-src 'none'; "
        f"style-src {hashes or NONE}; "
        "img-src https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


class CustomerPages:
    def __init__(
        self,
        app: ASGIApp,
        *,
        prefixes: tuple[str, ...],
        public_url: str,
        refusal_page: Callable[[], bytes],
    ) -> None:
        """`public_url`: where customers reach this service (its origin is the one a form may come from);
        `refusal_page`: the HTML shown for a refused cross-site post."""
        self.app, self.prefixes, self.refusal_page = app, prefixes, refusal_page
        self.origins = {origin_of(public_url)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and self._cross_site(scope):
            await self._refuse(send)
            return
        await self.app(scope, receive, _with_headers(send))

    def _cross_site(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])
        fetch_site = headers.get(b"sec-fetch-site")
        if fetch_site is not None:
            return fetch_site.lower() not in SAME_SITE_FETCHES
        origin = headers.get(b"origin")
        if origin is None:
            return False
        own = {origin_of(f"{scope.get('scheme', 'http')}://{headers.get(b'host', b'').decode('latin-1')}")}
        return origin.decode("latin-1").lower() not in self.origins | own

    async def _refuse(self, send: Send) -> None:
        answer = _with_headers(send)
        html = [(b"content-type", b"text/html; charset=utf-8")]
        await answer({"type": "http.response.start", "status": 403, "headers": html})
        await answer({"type": "http.response.body", "body": self.refusal_page()})


def _with_headers(send: Send) -> Send:
    """A `send` that holds the answer's start until its body is known (the policy hashes the page's styles)."""
    started: list[Message] = []
    chunks: list[bytes] = []

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.append(message)
            return
        if message["type"] != "http.response.body" or not started:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        start = started[0]
        headers = [
            (k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"cache-control")
        ]
        headers += [
            (b"content-length", str(len(body)).encode()),
            (b"content-security-policy", policy(body).encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return sending
