"""The console's pure parts: signed sessions, reading filter input, words and numbers per language, charts."""

import time
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response

from orchestrator.console import charts, texts
from orchestrator.console.forms import day
from orchestrator.console.session import COOKIE, Sessions
from shared.auth import fingerprint

TOKENS = {"op-token": "operator", "view-token": "viewer"}


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/console", "headers": headers, "query_string": b""})


def issued(sessions: Sessions, **kwargs) -> str:
    response = Response()
    sessions.sign_in(
        response, **({"principal": fingerprint("op-token"), "role": "operator", "lang": "de", "tz": "UTC"} | kwargs)
    )
    value = response.headers["set-cookie"].split(";")[0]
    return value.split("=", 1)[1]


def test_a_session_round_trips_and_names_the_token_only_by_fingerprint():
    sessions = Sessions(b"k" * 32, hours=1, tokens=TOKENS, secure=False)
    cookie = issued(sessions)
    staff = sessions.staff(request_with(cookie))
    assert staff is not None and staff.role == "operator" and staff.lang == "de" and len(staff.csrf) >= 24
    assert "op-token" not in cookie


def test_a_tampered_expired_revoked_or_foreign_session_is_refused():
    sessions = Sessions(b"k" * 32, hours=1, tokens=TOKENS, secure=False)
    cookie = issued(sessions)
    payload, _, signature = cookie.partition(".")
    promoted = issued(sessions, principal=fingerprint("view-token"), role="operator")  # a viewer's token as operator
    assert sessions.staff(request_with(payload + "x." + signature)) is None
    assert sessions.staff(request_with("garbage")) is None
    assert sessions.staff(request_with(promoted)) is None
    assert Sessions(b"other key" * 4, hours=1, tokens=TOKENS, secure=False).staff(request_with(cookie)) is None
    assert (
        Sessions(b"k" * 32, hours=1, tokens={"view-token": "viewer"}, secure=False).staff(request_with(cookie)) is None
    )
    expired = Sessions(b"k" * 32, hours=-1, tokens=TOKENS, secure=False)
    assert expired.staff(request_with(issued(expired))) is None


def test_the_cookie_is_httponly_strict_and_secure_in_production():
    response = Response()
    Sessions(b"k" * 32, hours=8, tokens=TOKENS, secure=True).sign_in(
        response, principal="p", role="viewer", lang="en", tz="UTC"
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie and "Max-Age=28800" in cookie


def test_a_typed_date_is_the_start_of_that_day_in_the_staff_members_zone():
    assert day("2026-11-24", "Europe/Berlin") == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    for bad in ("24.11.2026", "2026-02-30", "0001-01-01", "9999-12-31", "", None, "2026-11-24\x00"):
        assert day(bad, "UTC") is None


def test_numbers_and_moments_are_written_as_each_language_writes_them():
    moment = datetime(2026, 11, 24, 15, 5, tzinfo=UTC)
    assert texts.moment(moment, "Europe/Berlin", "en") == "24 Nov 2026, 16:05 CET"
    assert texts.moment(moment, "Europe/Berlin", "de") == "24.11.2026, 16:05 CET"
    assert texts.moment("2026-11-24T15:05:00+00:00", "UTC", "en") == "24 Nov 2026, 15:05 UTC"
    assert texts.number(1234567.5, "en", digits=1) == "1,234,567.5"
    assert texts.number(1234567.5, "de", digits=1) == "1.234.567,5"
    assert texts.percent(0.125, "de") == "12,5\u00a0%" and texts.month("2026-03", "de") == "März 2026"
    assert texts.text("de", "find.title") == "Journey suchen" and texts.language("de-AT,de;q=0.9") == "de"


def test_every_word_exists_in_both_languages():
    assert set(texts.TEXTS["en"]) == set(texts.TEXTS["de"])


def test_charts_are_svg_with_a_title_a_description_and_escaped_labels():
    svg = str(charts.bars([("<b>too</b>", 3, "3"), ("x", 1, "1")], title="Reasons", description="too: 3"))
    assert svg.startswith("<svg") and "<title" in svg and "<desc" in svg and 'role="img"' in svg
    assert "&lt;b&gt;" in svg and "<b>" not in svg and "<script" not in svg and "style=" not in svg
    scores = str(charts.score_columns({"3": 2, "9": 1}, title="Scores", description="-"))
    assert scores.count("<rect") == 11
    months = str(charts.month_columns([("Nov 2026", -40.0, "-40")], title="NPS", description="-"))
    assert "<rect" in months


def test_rate_lines_draw_only_days_with_mail_and_the_threshold():
    svg = str(
        charts.lines(
            ["2026-12-01", "2026-12-02", "2026-12-03"],
            [("<i>marketing</i>", [0.01, None, 0.02]), ("transactional", [None, 0.002, None])],
            threshold=(0.003, "pause at 0.3 %"),
            written=lambda v: f"{100 * v:.1f} %",
            title="Complaint rate",
            description="-",
        )
    )
    assert svg.count("<polyline") == 1, "a series with one day of mail is a dot, not a line"
    assert svg.count("<circle") == 3 and "stroke-dasharray" in svg and "pause at 0.3 %" in svg
    assert "<i>" not in svg and "&lt;i&gt;marketing" in svg
    assert "2.0 %" in svg, "the scale reaches the highest value (or a quarter above the threshold)"


def test_a_session_expires_after_its_hours():
    sessions = Sessions(b"k" * 32, hours=1, tokens=TOKENS, secure=False)
    staff = sessions.staff(request_with(issued(sessions)))
    assert 3500 < staff.expires - time.time() <= 3600
