"""The support console over the real database: sign-in and sessions, roles, CSRF, the pages, and the audited
actions. (The pages in a real browser, with the other services running: tests/e2e/test_console_browser.py.)"""

import contextlib
import re

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.adapters.tables import audit_log, journeys

from .conftest import journey_rows
from .test_api import started

pytestmark = pytest.mark.integration
NOWHERE = "http://127.0.0.1:9"  # the notifier and survey service are not running in these tests


@pytest.fixture
async def orchestrator(settings_for):
    from orchestrator.bootstrap import bootstrap

    from .conftest import running

    async with running(bootstrap(settings_for(notifier_url=NOWHERE, survey_url=NOWHERE))) as runtime:
        yield runtime


def browser(runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=runtime.http_app), base_url="http://console.test")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@contextlib.asynccontextmanager
async def signed_in(runtime, token: str, lang: str = "en"):
    async with browser(runtime) as client:
        form = await client.get("/console/sign-in")
        response = await client.post(
            "/console/sign-in", data={"token": token, "lang": lang, "tz": "Europe/Berlin", "csrf": csrf_of(form.text)}
        )
        assert response.status_code == 303 and response.headers["location"] == "/console/journeys", response.text
        yield client


async def test_sign_in_makes_an_address_that_guessed_too_many_tokens_wait(orchestrator):
    transport = httpx.ASGITransport(app=orchestrator.http_app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
        form = await client.get("/console/sign-in")
        for n in range(6):  # five free, the sixth sets a wait
            guess = {"token": f"guess-{n}", "lang": "de", "csrf": csrf_of(form.text)}
            assert (await client.post("/console/sign-in", data=guess)).status_code == 401
        right = {"token": "operator-token", "lang": "de", "csrf": csrf_of(form.text)}
        refused = await client.post("/console/sign-in", data=right)
    assert refused.status_code == 429 and "zu viele unbekannte Tokens" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert "console_session=" not in refused.headers.get("set-cookie", "")
    async with signed_in(orchestrator, "operator-token"):  # another address signs in as before
        pass


async def test_signing_in_sets_a_strict_httponly_session_and_every_page_needs_it(orchestrator):
    async with browser(orchestrator) as client:
        assert (await client.get("/console/journeys")).headers["location"] == "/console/sign-in"
        form = await client.get("/console/sign-in")
        forged = await client.post("/console/sign-in", data={"token": "operator-token", "csrf": "guess"})
        unknown = await client.post("/console/sign-in", data={"token": "nope", "csrf": csrf_of(form.text)})
        good = await client.post(
            "/console/sign-in", data={"token": "operator-token", "lang": "de", "csrf": csrf_of(form.text)}
        )
        page = await client.get("/console/journeys")
    assert form.status_code == 200 and 'type="password"' in form.text
    assert forged.status_code == 403 and unknown.status_code == 401 and "nicht bekannt" not in unknown.text
    cookie = next(v for k, v in good.headers.multi_items() if k == "set-cookie" and v.startswith("console_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie and "Max-Age=" in cookie
    assert "operator-token" not in cookie, "the session names the token by its fingerprint, never the token"
    assert page.status_code == 200 and "Journey suchen" in page.text, "German, as chosen at sign-in"
    assert page.headers["cache-control"] == "no-store"
    assert (
        "script-src" not in page.headers["content-security-policy"]
        and "default-src 'none'" in page.headers["content-security-policy"]
    )


async def test_a_forged_or_revoked_session_is_not_honoured(orchestrator, settings_for):
    from orchestrator.bootstrap import bootstrap

    async with signed_in(orchestrator, "operator-token") as client:
        session = client.cookies["console_session"]
        payload, _, signature = session.partition(".")
        client.cookies.set("console_session", payload + "." + signature[::-1], path="/console")
        assert (await client.get("/console/journeys")).status_code == 303
    # The same session presented to an orchestrator that no longer has the token configured.
    revoked = bootstrap(settings_for(OFFBOARDING_API_TOKENS="viewer-token:viewer", notifier_url=NOWHERE))
    try:
        async with browser(revoked) as other:
            other.cookies.set("console_session", session, path="/console")
            assert (await other.get("/console/journeys")).status_code == 303
    finally:
        await revoked.engine.dispose()


async def test_viewers_see_no_buttons_and_cannot_act(orchestrator, billing):
    (journey,) = await started(orchestrator, billing, "sub_console_viewer")
    async with signed_in(orchestrator, "viewer-token") as client:
        page = await client.get(f"/console/journeys/{journey.id}")
        confirm = await client.get(f"/console/journeys/{journey.id}/actions/pause")
        acted = await client.post(f"/console/journeys/{journey.id}/actions/pause", data={"reason": "x", "csrf": "x"})
    assert page.status_code == 200 and "sub_console_viewer" in page.text
    assert "/actions/" not in page.text, "no action links for a viewer"
    assert "sub_console_viewer@example.com" not in page.text and "hidden" in page.text
    assert confirm.status_code == 403 and acted.status_code == 403
    assert (await journey_rows(orchestrator, "sub_console_viewer"))[0].status == "active"


async def test_resuming_marketing_mail_is_for_operators_with_a_reason_and_csrf(orchestrator):
    async with signed_in(orchestrator, "viewer-token") as viewer:
        viewer_form = await viewer.get("/console/reputation/resume")
        viewer_post = await viewer.post("/console/reputation/resume", data={"reason": "x", "csrf": "x"})
    async with signed_in(orchestrator, "operator-token") as client:
        form = await client.get("/console/reputation/resume")
        csrf = csrf_of(form.text)
        no_csrf = await client.post("/console/reputation/resume", data={"reason": "list cleaned"})
        no_reason = await client.post("/console/reputation/resume", data={"reason": " \x00 ", "csrf": csrf})
        away = await client.post("/console/reputation/resume", data={"reason": "list cleaned", "csrf": csrf})
        junk_done = await client.get("/console/insights", params={"done": "<b>owned</b>"})
    assert (viewer_form.status_code, viewer_post.status_code) == (403, 403)
    assert form.status_code == 200 and "Resume marketing mail?" in form.text
    assert (no_csrf.status_code, no_reason.status_code) == (403, 422)
    assert away.status_code == 502 and "notifier cannot be reached" in away.text and "list cleaned" in away.text
    assert junk_done.status_code == 200 and "owned" not in junk_done.text


async def test_an_operator_pauses_and_resumes_with_a_reason_and_csrf_and_it_is_audited(orchestrator, billing):
    (journey,) = await started(orchestrator, billing, "sub_console_pause")
    base = f"/console/journeys/{journey.id}"
    async with signed_in(orchestrator, "operator-token") as client:
        page = await client.get(base)
        confirm = await client.get(f"{base}/actions/pause")
        csrf = csrf_of(confirm.text)
        no_csrf = await client.post(f"{base}/actions/pause", data={"reason": "asked by phone"})
        no_reason = await client.post(f"{base}/actions/pause", data={"reason": " \x00 ", "csrf": csrf})
        paused = await client.post(f"{base}/actions/pause", data={"reason": "asked by phone", "csrf": csrf})
        after = await client.get(paused.headers["location"])
        refused = await client.post(f"{base}/actions/pause", data={"reason": "again", "csrf": csrf})
        resumed = await client.post(f"{base}/actions/resume", data={"reason": "customer called back", "csrf": csrf})
    assert f"{base}/actions/pause" in page.text and f"{base}/actions/reveal" in page.text
    assert confirm.status_code == 200 and 'name="reason"' in confirm.text
    assert no_csrf.status_code == 403 and no_reason.status_code == 422
    assert paused.status_code == 303 and paused.headers["location"] == f"{base}?done=pause"
    assert "The journey is paused." in after.text and "asked by phone" in after.text
    assert refused.status_code == 409 and "only an active journey can be paused; this one is paused" in refused.text
    assert resumed.status_code == 303
    async with orchestrator.sessions() as session:
        actions = (
            await session.execute(
                sa.select(audit_log.c.action, audit_log.c.reason)
                .where(audit_log.c.journey_id == journey.id)
                .order_by(audit_log.c.id)
            )
        ).all()
        status = await session.scalar(sa.select(journeys.c.status).where(journeys.c.id == journey.id))
    assert [tuple(a) for a in actions] == [("pause", "asked by phone"), ("resume", "customer called back")]
    assert status == "active"


async def test_revealing_the_customer_is_for_operators_and_audited(orchestrator, billing):
    (journey,) = await started(orchestrator, billing, "sub_console_reveal")
    base = f"/console/journeys/{journey.id}"
    async with signed_in(orchestrator, "operator-token") as client:
        csrf = csrf_of((await client.get(f"{base}/actions/reveal")).text)
        revealed = await client.post(f"{base}/actions/reveal", data={"reason": "GDPR request by email", "csrf": csrf})
        again = await client.get(base)
    assert (
        revealed.status_code == 200
        and "sub_console_reveal@example.com" in revealed.text
        and "Ada Lovelace" in revealed.text
    )
    assert "sub_console_reveal@example.com" not in again.text, "revealed for that page only"
    async with orchestrator.sessions() as session:
        entry = (await session.execute(sa.select(audit_log).where(audit_log.c.journey_id == journey.id))).one()
    assert (entry.action, entry.reason, entry.role) == ("reveal", "GDPR request by email", "operator")


async def test_search_by_email_keeps_the_address_out_of_every_url(orchestrator, billing):
    await started(orchestrator, billing, "sub_console_email")
    async with signed_in(orchestrator, "viewer-token") as client:
        csrf = csrf_of((await client.get("/console/journeys")).text)
        posted = await client.post("/console/search", data={"email": "SUB_console_email@example.com ", "csrf": csrf})
        found = await client.get(posted.headers["location"])
    assert (
        posted.status_code == 303
        and "@" not in posted.headers["location"]
        and "example" not in posted.headers["location"]
    )
    assert "sub_console_email" in found.text and "showing journeys of the email address" in found.text.lower()


async def test_every_page_renders_and_a_peer_that_is_away_leaves_a_note(orchestrator, billing):
    (journey,) = await started(orchestrator, billing, "sub_console_pages")
    async with signed_in(orchestrator, "operator-token") as client:
        pages = {
            path: await client.get(path)
            for path in (
                "/console/journeys?status=active&segment=b2c&from=2020-01-01",
                f"/console/journeys/{journey.id}",
                "/console/attention",
                "/console/insights",
                "/console/audit?action=pause",
                "/console/experiments",
                "/console/static/console.css",
            )
        }
        missing = await client.get("/console/journeys/00000000-0000-0000-0000-000000000000")
        malformed = await client.get("/console/journeys/not-a-uuid")
        no_experiment = await client.get("/console/experiments/no-such-test")
    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(pages, 200)
    assert "notifier cannot be reached" in pages[f"/console/journeys/{journey.id}"].text
    assert "survey cannot be reached" in pages["/console/insights"].text
    assert missing.status_code == 404 and "There is no such page" in missing.text
    assert malformed.status_code == 422 and "<html" in malformed.text
    assert no_experiment.status_code == 404 and "There is no such page" in no_experiment.text
    assert "No template declares an experiment" in pages["/console/experiments"].text


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(
            ["customer_id", "subscription_id", "status", "template", "segment", "from", "to", "email_ref", "cursor"]
        ),
        st.text(max_size=30),
        max_size=5,
    )
)
async def test_any_filter_values_give_a_page_or_a_4xx_never_a_5xx(orchestrator, params):
    async with signed_in(orchestrator, "viewer-token") as client:
        for path in ("/console/journeys", "/console/audit", "/console/insights", "/console/experiments/any"):
            response = await client.get(path, params=params)
            assert response.status_code < 500, (path, params, response.text[:300])


async def test_a_journey_preview_takes_posted_data_and_stores_nothing(orchestrator):
    async with signed_in(orchestrator, "viewer-token") as client:
        form = await client.get("/console/previews?sample=involuntary")
        csrf = csrf_of(form.text)
        data = re.search(r'<textarea id="data" name="data"[^>]*>(.*?)</textarea>', form.text, re.S).group(1)
        data = data.replace("&#34;", '"')
        forged = await client.post("/console/previews", data={"data": data})
        not_json = await client.post("/console/previews", data={"data": "{\n  nope", "csrf": csrf})
        refused = await client.post("/console/previews", data={"data": '{"subscription_id": "s"}', "csrf": csrf})
        shown = await client.post("/console/previews", data={"data": data, "csrf": csrf, "score": "2"})
    assert form.status_code == 200 and "payment_failure" in data
    assert "style-src 'self' 'unsafe-inline'" in form.headers["content-security-policy"]
    assert "script-src" not in form.headers["content-security-policy"]
    assert forged.status_code == 403
    assert not_json.status_code == 422 and "This is not valid JSON (line 2)." in not_json.text
    assert refused.status_code == 422 and "The intake would refuse this cancellation: customer_id" in refused.text
    assert shown.status_code == 200 and "involuntary, version 1" in shown.text
    assert "selection.yaml rule 1: " in shown.text and "the notifier did not answer" in shown.text
    async with orchestrator.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(journeys)) == 0
