"""The reputation guard's rules (pure): bounce and complaint rates of what went out in a rolling window, per
stream (transactional, marketing) and template, and when marketing mail pauses by itself.

Mailbox providers judge a sender by these rates (Gmail and Yahoo want complaints under 0.3%; bounces above a few
percent mark a list nobody keeps). Marketing mail pauses at either threshold, once enough went out that the rate
means something (three emails and one complaint is not 33%); transactional mail always goes on. An operator
resumes it; the rates that decide a new pause then count from the resume, so the old complaints do not pause
it again at once."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    stream: str  # transactional | marketing
    template: str  # the message
    sent: int
    hard_bounces: int
    soft_bounces: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        return self.hard_bounces / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class Thresholds:
    complaint_rate: float = 0.003
    bounce_rate: float = 0.05
    min_sent: int = 200


def per_stream(tallies: list[Tally]) -> list[Tally]:
    """The tallies summed per stream (template "all")."""
    sums: dict[str, list[int]] = {}
    for t in tallies:
        total = sums.setdefault(t.stream, [0, 0, 0, 0])
        for i, n in enumerate((t.sent, t.hard_bounces, t.soft_bounces, t.complaints)):
            total[i] += n
    return [Tally(stream, "all", *numbers) for stream, numbers in sorted(sums.items())]


def pause_reason(tallies: list[Tally], thresholds: Thresholds) -> str | None:
    """Why marketing mail should pause now, or None."""
    marketing = next((t for t in per_stream(tallies) if t.stream == "marketing"), None)
    if marketing is None or marketing.sent < thresholds.min_sent:
        return None
    if marketing.complaint_rate >= thresholds.complaint_rate:
        return f"complaint rate {marketing.complaint_rate:.2%} of {marketing.sent} marketing emails"
    if marketing.bounce_rate >= thresholds.bounce_rate:
        return f"bounce rate {marketing.bounce_rate:.2%} of {marketing.sent} marketing emails"
    return None
