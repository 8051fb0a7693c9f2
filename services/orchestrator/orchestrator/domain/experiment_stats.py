"""95% intervals for reading an experiment: rates, mean scores and NPS per variant, and each variant's difference
from the first (the control). Pure arithmetic on counts and sums, so a test can check it against known values.

- A rate (response, unsubscribe, reactivation) gets the Wilson score interval: it stays inside 0..1 and is
  honest for small counts and rates near 0, where the textbook interval is not.
- A difference of two rates gets Newcombe's interval built from the two Wilson intervals (his method 10).
- A mean score gets Student's t interval; the difference of two means Welch's.
- NPS is the mean of +100 (promoter), 0 (passive) and -100 (detractor) per answer, and gets the same
  intervals as a mean.

A difference is `clear` when its interval leaves out 0. Looking at many metrics and variants, or looking every
day and stopping at the first clear one, makes some clear differences chance: docs/journeys.md says how to read.
"""

import math
from dataclasses import dataclass

Z = 1.959963984540054  # the standard normal's 97.5% point
# Student's t 97.5% points for 1..30 degrees of freedom; above 30 a Cornish-Fisher expansion is within 1e-3.
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True)
class Interval:
    value: float
    low: float | None  # None: one value says nothing about the spread
    high: float | None

    @property
    def clear(self) -> bool:
        """The interval leaves out 0 (read for differences)."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class Sample:
    """What a mean needs: how many values, their sum and their sum of squares."""

    n: int
    total: float
    squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n

    @property
    def variance(self) -> float:
        """The sample variance (n - 1 in the denominator); 0 for a single value."""
        if self.n < 2:
            return 0.0
        return max(self.squares - self.total * self.total / self.n, 0.0) / (self.n - 1)


def t_975(df: float) -> float:
    """Student's t 97.5% point; between the table's whole degrees of freedom (Welch's are fractions) linear."""
    if df < 1:
        raise ValueError("at least one degree of freedom")
    if df < 30:
        below = int(df)
        share = df - below
        return T_975[below - 1] * (1 - share) + T_975[below] * share
    z = Z
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def rate(k: int, n: int) -> Interval | None:
    """k of n, with Wilson's 95% interval; None without any n."""
    if n <= 0:
        return None
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return Interval(p, max(centre - half, 0.0), min(centre + half, 1.0))


def rate_difference(k: int, n: int, k0: int, n0: int) -> Interval | None:
    """k/n minus k0/n0 (the control), with Newcombe's hybrid score interval."""
    this, control = rate(k, n), rate(k0, n0)
    if this is None or control is None:
        return None
    d = this.value - control.value
    below = math.sqrt((this.value - this.low) ** 2 + (control.high - control.value) ** 2)
    above = math.sqrt((this.high - this.value) ** 2 + (control.value - control.low) ** 2)
    return Interval(d, d - below, d + above)


def mean(sample: Sample, *, scale: tuple[float, float]) -> Interval | None:
    """The mean with Student's t interval, kept inside the values' `scale`; None without values, no bounds
    with one."""
    if sample.n <= 0:
        return None
    if sample.n == 1:
        return Interval(sample.mean, None, None)
    half = t_975(sample.n - 1) * math.sqrt(sample.variance / sample.n)
    return Interval(sample.mean, max(sample.mean - half, scale[0]), min(sample.mean + half, scale[1]))


def mean_difference(sample: Sample, control: Sample) -> Interval | None:
    """This mean minus the control's, with Welch's interval (the variances need not be equal)."""
    if sample.n < 2 or control.n < 2:
        return None
    a, b = sample.variance / sample.n, control.variance / control.n
    d = sample.mean - control.mean
    if a + b == 0:
        return Interval(d, d, d)
    df = (a + b) ** 2 / (a * a / (sample.n - 1) + b * b / (control.n - 1))
    half = t_975(df) * math.sqrt(a + b)
    return Interval(d, d - half, d + half)


SCORE_SCALE = (0.0, 10.0)
NPS_SCALE = (-100.0, 100.0)


def nps_sample(promoters: int, detractors: int, answers: int) -> Sample:
    """Each answer as +100, 0 or -100: NPS is their mean."""
    return Sample(answers, 100.0 * (promoters - detractors), 10_000.0 * (promoters + detractors))
