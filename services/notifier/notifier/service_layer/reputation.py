"""The reputation guard: every minute, the bounce and complaint rates of the rolling window into /metrics (per
stream, template and sender domain), and marketing mail paused when its rates pass the thresholds (rules:
domain/reputation.py). The sender reads the open pause with each batch (adapters/reputation_repository.py);
/readyz shows it as a detail (the service stays ready: transactional mail goes on)."""

from collections.abc import Callable
from datetime import datetime, timedelta

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.reputation_repository import Pause, ReputationRepository
from notifier.domain.reputation import Tally, Thresholds, pause_reason, per_stream
from shared.errors import describe
from shared.logging import get_logger
from shared.worker import Worker

log = get_logger(__name__)
RATE = Gauge(
    "notifier_reputation_rate",
    "Bounce (hard) and complaint rates of the email sent in the rolling window, per stream, template (all: the "
    "stream) and sender domain",
    ["stream", "template", "sender_domain", "kind"],
)
SENT = Gauge("notifier_reputation_sent", "Emails sent in the rolling window", ["stream", "template", "sender_domain"])
PAUSED = Gauge("notifier_marketing_paused", "1 while marketing mail is paused by the reputation guard")


class ReputationGuard(Worker):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        window: timedelta,
        thresholds: Thresholds,
        sender_domain: str,
        every: float,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self._sessions, self._window, self._thresholds = sessions, window, thresholds
        self._domain, self._every, self._clock = sender_domain, every, clock
        self.current: Pause | None = None  # the open pause as of the last round (/readyz, the API)

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self.check()
            except Exception as exc:  # the database away: the next round tries again
                log.warning("reputation_check_failed", error=describe(exc))
            await self.pause(self._every)

    async def check(self) -> list[Tally]:
        """One round: the rates into the gauges; a pause opened when they call for one. Returns the tallies."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            repository = ReputationRepository(session)
            tallies = await repository.tallies(now - self._window)
            open_pause = await repository.open_pause()
            if open_pause is None:
                # After a resume, only what went out since counts towards the next pause.
                resumed = await repository.last_resumed()
                since = max(now - self._window, resumed) if resumed else now - self._window
                recent = tallies if since == now - self._window else await repository.tallies(since)
                reason = pause_reason(recent, self._thresholds)
                if reason and await repository.pause(reason):
                    log.warning("marketing_paused", reason=reason)
                open_pause = await repository.open_pause() if reason else None
        self.current = open_pause
        self._export(tallies)
        return tallies

    def _export(self, tallies: list[Tally]) -> None:
        PAUSED.set(1 if self.current else 0)
        for stream in ("transactional", "marketing"):  # both always exported, 0 when nothing went out
            for kind in ("bounce", "complaint"):
                RATE.labels(stream, "all", self._domain, kind).set(0)
            SENT.labels(stream, "all", self._domain).set(0)
        for t in [*tallies, *per_stream(tallies)]:
            RATE.labels(t.stream, t.template, self._domain, "bounce").set(t.bounce_rate)
            RATE.labels(t.stream, t.template, self._domain, "complaint").set(t.complaint_rate)
            SENT.labels(t.stream, t.template, self._domain).set(t.sent)

    def describe(self) -> dict:
        """The figures' frame and the pause of the last round, for the API."""
        pause = self.current
        return {
            "window_hours": self._window.total_seconds() / 3600,
            "complaint_threshold": self._thresholds.complaint_rate,
            "bounce_threshold": self._thresholds.bounce_rate,
            "min_sent": self._thresholds.min_sent,
            "marketing": {
                "paused": pause is not None,
                "since": pause.paused_at if pause else None,
                "reason": pause.reason if pause else None,
            },
        }

    async def readiness_details(self) -> dict[str, str]:
        return {"marketing": f"paused: {self.current.reason}" if self.current else "sending"}
