"""The unsubscribe pages hardened like the survey's (shared/page_security.py): every page and error page says
what the browser may do; a post from another site is refused unread, while a mail provider's one-click post
(RFC 8058: a server, no Origin) and the page's own button still work."""

import httpx
import pytest
import sqlalchemy as sa

from notifier.adapters.tables import suppressions
from notifier.bootstrap import bootstrap

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = [pytest.mark.integration, pytest.mark.attack]
ONE_CLICK = {"content": "List-Unsubscribe=One-Click", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


async def test_unsubscribe_pages_are_hardened_and_take_no_post_from_another_site(settings_for, smtp_sink):
    settings = settings_for(public_url="https://notifier.acme.example")
    address = f"harden-{settings.database_schema}@example.com"
    offer_id, offer = send_message(
        step="win_back_offer", message="win_back_offer", category="marketing", consent=True, email_address=address
    )
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(offer_id, offer)
        await orchestrator.results({offer_id})
        (mail,) = mail_to(smtp_sink.maildir, address)
        path = httpx.URL(mail["List-Unsubscribe"].strip("<>")).path
        transport = httpx.ASGITransport(app=notifier.http_app)
        async with httpx.AsyncClient(transport=transport, base_url="https://notifier.acme.example") as c:
            pages = [await c.get(path), await c.get("/u/unknown-token"), await c.get("/u/%00")]
            refused = [
                await c.post(path, **_with(ONE_CLICK, {"Origin": "https://evil.test"})),
                await c.post(path, **_with(ONE_CLICK, {"Sec-Fetch-Site": "cross-site"})),
            ]
            async with notifier.sessions() as session:
                suppressed_before = await session.scalar(sa.select(sa.func.count()).select_from(suppressions))
            button = await c.post(
                path, headers={"Origin": "https://notifier.acme.example", "Sec-Fetch-Site": "same-origin"}
            )
            provider = await c.post(path, **ONE_CLICK)  # the mail provider's server: no browser headers
    for response in [*pages, *refused, button, provider]:
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert response.headers["referrer-policy"] == "no-referrer" and response.headers["cache-control"] == "no-store"
    assert [p.status_code for p in pages] == [200, 404, 400]
    assert [r.status_code for r in refused] == [403, 403] and "did not come from our page" in refused[0].text
    assert suppressed_before == 0, "a refused post suppressed nothing"
    assert button.status_code == 200 and provider.status_code == 200 and "unsubscribed" in provider.text


def _with(request: dict, headers: dict) -> dict:
    return request | {"headers": request["headers"] | headers}
