"""Dry-runs for authors: candidate templates (the deployed files, with the author's added, changed or removed)
replayed over the recorded cancellations of a window, sending nothing; the notifier renders each message once
per locale and segment to find what would fail or fall back to another language."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.adapters.past_journeys import stream_past_journeys
from orchestrator.adapters.peers import Peers
from orchestrator.domain.dry_run import DryRun, DryRunReport
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.template_check import check
from orchestrator.domain.templates import TemplateError, catalogue_from_texts

RENDERS_PER_CALL = 100


class CandidateInvalid(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class DryRuns:
    deployed: dict[str, str]  # the template files the service runs with: name -> YAML text
    policy: RetryPolicy
    peers: Peers
    sessions: async_sessionmaker[AsyncSession]
    # One dry-run at a time per process: replays are CPU work, and the consumers share this process.
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)

    def candidate(self, files: dict[str, str | None]) -> dict[str, str]:
        """The deployed files with the author's: a text adds or replaces a file, null removes it."""
        merged = self.deployed | {name: text for name, text in files.items() if text is not None}
        return {name: text for name, text in merged.items() if files.get(name, "") is not None}

    async def run(self, files: dict[str, str | None], *, start: datetime, end: datetime) -> dict[str, Any]:
        began = time.perf_counter()
        candidate = self.candidate(files)
        findings = check(candidate, None)
        if findings:
            raise CandidateInvalid([str(f) for f in findings])
        try:
            catalogue = catalogue_from_texts(candidate)
        except TemplateError as exc:
            raise CandidateInvalid([str(exc)]) from None
        dry_run = DryRun(catalogue, self.policy)
        async with self._busy, self.sessions() as session:
            async for chunk in stream_past_journeys(session, start=start, end=end):
                await asyncio.to_thread(dry_run.add, chunk)  # the event loop (consumers, timers) goes on
        problems = await self._render_problems(dry_run.report, start)
        return _answer(dry_run.report, problems, start=start, end=end, elapsed=time.perf_counter() - began)

    async def _render_problems(self, report: DryRunReport, moment: datetime) -> list[str]:
        emails = sorted(report.emails.items())
        problems = []
        for first in range(0, len(emails), RENDERS_PER_CALL):
            part = emails[first : first + RENDERS_PER_CALL]
            answers = await self.peers.render(
                [_sample_command(m, locale, segment, moment) for (m, locale, segment), _ in part]
            )
            if answers is None:
                return [*problems, "the messages were not rendered: the notifier did not answer"]
            for ((message, locale, segment), customers), answer in zip(part, answers, strict=True):
                if answer.get("problem"):
                    problems.append(
                        f"message {message} ({locale}, {segment}) fails to render for {customers} customers: {answer['problem']}"
                    )
                elif answer.get("locale") != locale:
                    problems.append(
                        f"message {message} has no {locale} version: {customers} customers ({segment}) would get it in {answer.get('locale')}"
                    )
        return problems


def _sample_command(message: str, locale: str, segment: str, moment: datetime) -> dict[str, Any]:
    """A send-message command as the journey would send it, for a made-up customer (the dry-run reads none)."""
    return {
        "journey_id": "dry-run",
        "subscription_id": "sub_dry_run",
        "customer_id": "cus_dry_run",
        "step": message,
        "attempt": 1,
        "message": message,
        "channel": "email",
        "category": "transactional",
        "segment": segment,
        "marketing_consent": True,
        "recipient": {
            "email": "customer@example.com",
            "name": "Ada Example",
            "company": "Example Ltd" if segment == "b2b" else None,
            "locale": locale,
            "timezone": "UTC",
            "page_url": "https://survey.example/p/dry-run",
        },
        "facts": {
            "plan": "pro",
            "cancelled_at": moment.isoformat(),
            "effective_at": moment.isoformat(),
            "survey_url": "https://survey.example/s/dry-run",
        },
    }


def _answer(
    report: DryRunReport, problems: list[str], *, start: datetime, end: datetime, elapsed: float
) -> dict[str, Any]:
    return {
        "from": start,
        "to": end,
        "journeys": report.journeys,
        "erased": report.erased,
        "templates": dict(report.templates.most_common()),
        "messages": dict(report.messages.most_common()),
        "steps": {"added": dict(report.added.most_common()), "skipped": dict(report.skipped.most_common())},
        "nothing": report.nothing,
        "problems": problems,
        "replays": report.replays,
        "elapsed_ms": round(elapsed * 1000),
    }
