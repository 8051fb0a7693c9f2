"""Reads from the other services' APIs: the notifier's delivery log, previews and renders, the survey
service's answers and insights, the notifier's reputation figures, and both services' dead letters. A service that does not answer in time
leaves its part of the page empty with a note (None here), never a broken page."""

import asyncio
from typing import Any
from urllib.parse import quote

import httpx

from shared.logging import get_logger

log = get_logger(__name__)
ERASED = "erased"


class Peers:
    def __init__(self, *, notifier_url: str, survey_url: str, token: str | None, timeout: float = 3.0) -> None:
        self._urls = {"notifier": notifier_url.rstrip("/"), "survey": survey_url.rstrip("/")}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(timeout=timeout, headers=headers)

    async def close(self) -> None:
        await self._client.aclose()

    async def deliveries(self, journey_id: str) -> list[dict] | None:
        page = await self._get("notifier", "/v1/deliveries", {"journey_id": journey_id, "limit": 200})
        return page["items"] if page is not None else None

    async def preview(self, command_id: str) -> dict | str | None:
        """The email as it went out (names masked), ERASED once the customer's data is gone, None if unknown."""
        return await self._get("notifier", f"/v1/deliveries/{quote(command_id, safe='')}/preview", {}, gone=ERASED)

    async def render(self, commands: list[dict]) -> list[dict] | None:
        """The notifier's rendering of send-message commands (nothing sent), in order; None if it did not answer."""
        try:
            response = await self._client.post(self._urls["notifier"] + "/v1/renders", json={"items": commands})
        except httpx.HTTPError as exc:
            log.warning("peer_unreachable", service="notifier", error=type(exc).__name__)
            return None
        if response.status_code != 200:
            log.warning("peer_refused", service="notifier", status=response.status_code)
            return None
        return response.json()["items"]

    async def answer(self, journey_id: str) -> dict | None:
        return await self._get("survey", f"/v1/answers/{quote(journey_id, safe='')}", {}, missing={})

    async def insights(self, params: dict[str, str]) -> dict | None:
        return await self._get("survey", "/v1/insights", params)

    async def reputation(self) -> dict | None:
        """The notifier's bounce and complaint rates, and whether marketing mail is paused."""
        return await self._get("notifier", "/v1/reputation", {})

    async def reputation_daily(self, days: int) -> dict | None:
        """The notifier's bounce and complaint rates per day and stream, `days` days back."""
        return await self._get("notifier", "/v1/reputation/daily", {"days": days})

    async def resume_marketing(self, reason: str, *, on_behalf_of: str) -> str:
        """Ask the notifier to resume marketing mail: resumed, not_paused, refused (the console's token for the
        notifier is not an operator's) or unreachable."""
        try:
            response = await self._client.post(
                self._urls["notifier"] + "/v1/reputation/resume",
                params={"reason": reason, "on_behalf_of": on_behalf_of},
            )
        except httpx.HTTPError as exc:
            log.warning("console_peer_unreachable", service="notifier", error=type(exc).__name__)
            return "unreachable"
        outcome = {200: "resumed", 409: "not_paused", 401: "refused", 403: "refused"}.get(response.status_code)
        if outcome is None:
            log.warning("console_peer_refused", service="notifier", status=response.status_code)
        return outcome or "unreachable"

    async def dead_letters(self) -> dict[str, dict | None]:
        notifier, survey = await asyncio.gather(
            self._get("notifier", "/v1/dead-letters", {}), self._get("survey", "/v1/dead-letters", {})
        )
        return {"notifier": notifier, "survey": survey}

    async def _get(self, service: str, path: str, params: dict, *, missing: Any = None, gone: Any = None) -> Any:
        try:
            response = await self._client.get(self._urls[service] + path, params=params)
        except httpx.HTTPError as exc:
            log.warning("console_peer_unreachable", service=service, error=type(exc).__name__)
            return None
        if response.status_code == 404:
            return missing
        if response.status_code == 410:
            return gone
        if response.status_code != 200:
            log.warning("console_peer_refused", service=service, status=response.status_code)
            return None
        return response.json()
