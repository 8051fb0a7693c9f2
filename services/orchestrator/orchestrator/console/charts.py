"""Charts as server-rendered SVG: horizontal bars for counts, columns for scores and months, intervals for
experiments. No script, no inline style (the console's Content-Security-Policy allows neither): colours are
presentation attributes. Each chart has a title and a description for screen readers; the page puts its numbers in a table beside it."""

import hashlib
from collections.abc import Callable
from html import escape

from markupsafe import Markup

INK, MUTED, GRID = "#1f2933", "#52606d", "#cbd2d9"
BAR = "#2f6fb5"
SCORE_COLOURS = {"detractor": "#b83232", "passive": "#a86a00", "promoter": "#2e7d32"}


def _frame(width: int, height: int, title: str, description: str, body: list[str]) -> Markup:
    ident = "c" + hashlib.sha256(f"{title}|{description}".encode()).hexdigest()[:10]
    # Every value in the markup went through html.escape above: it is safe to mark as markup.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{ident}t {ident}d" class="chart">'
        f'<title id="{ident}t">{escape(title)}</title><desc id="{ident}d">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def bars(items: list[tuple[str, float, str]], *, title: str, description: str, width: int = 560) -> Markup:
    """Horizontal bars: (label, value, the value as the page writes it)."""
    row, label_width, gap = 26, 190, 8
    height = max(len(items), 1) * row + gap
    top = max((value for _, value, _ in items), default=0) or 1
    body = []
    for n, (label, value, shown) in enumerate(items):
        y = n * row + gap
        length = (width - label_width - 120) * value / top
        body += [
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="13" fill="{INK}">{escape(label)}</text>',
            f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="18" fill="{BAR}" rx="2"/>',
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="13" fill="{INK}">{escape(shown)}</text>',
        ]
    return _frame(width, height, title, description, body)


def score_columns(counts: dict[str, int], *, title: str, description: str, width: int = 560) -> Markup:
    """Columns for the scores 0 to 10, coloured as detractors, passives and promoters."""
    height, base, left = 190, 160, 10
    step = (width - 2 * left) / 11
    top = max(counts.values(), default=0) or 1
    body = [f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="{GRID}"/>']
    for score in range(11):
        value = counts.get(str(score), 0)
        kind = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
        tall = (base - 30) * value / top
        x = left + score * step + 4
        body += [
            f'<rect x="{x:.1f}" y="{base - tall:.1f}" width="{step - 8:.1f}" height="{tall:.1f}" '
            f'fill="{SCORE_COLOURS[kind]}" rx="2"/>',
            f'<text x="{x + (step - 8) / 2:.1f}" y="{base - tall - 6:.1f}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{value}</text>',
            f'<text x="{x + (step - 8) / 2:.1f}" y="{base + 18}" text-anchor="middle" font-size="13" '
            f'fill="{MUTED}">{score}</text>',
        ]
    return _frame(width, height, title, description, body)


def month_columns(
    months: list[tuple[str, float | None, str]], *, title: str, description: str, width: int = 560
) -> Markup:
    """Columns around a zero line for values from -100 to 100 (NPS per month): (label, value, as written)."""
    height, middle, half = 230, 110, 90
    left = 10
    step = min((width - 2 * left) / max(len(months), 1), 72)  # a lone month is a column, not a wall
    body = [
        f'<line x1="{left}" y1="{middle}" x2="{width - left}" y2="{middle}" stroke="{GRID}"/>',
    ]
    for n, (label, value, shown) in enumerate(months):
        x = left + n * step + 6
        tall = half * abs(value or 0) / 100
        y = middle - tall if (value or 0) >= 0 else middle
        colour = SCORE_COLOURS["promoter"] if (value or 0) >= 0 else SCORE_COLOURS["detractor"]
        label_y = y - 6 if (value or 0) >= 0 else y + tall + 14
        body += [
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step - 12:.1f}" height="{tall:.1f}" fill="{colour}" rx="2"/>',
            f'<text x="{x + (step - 12) / 2:.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{escape(shown)}</text>',
            f'<text x="{x + (step - 12) / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="12" '
            f'fill="{MUTED}">{escape(label)}</text>',
        ]
    return _frame(width, height, title, description, body)


def intervals(
    items: list[tuple[str, float | None, float | None, float | None]],
    *,
    written: Callable[[float | None], str],
    bounds: tuple[float, float],
    title: str,
    description: str,
    width: int = 560,
) -> Markup:
    """Each variant's value (a dot) and 95% interval (a line) on one scale, the first (the control) also as a
    dashed line down the chart: an interval that crosses it is no clear difference. (label, value, low, high)."""
    row, label_width, right, axis = 30, 130, 80, 24
    height = max(len(items), 1) * row + axis + 8
    seen = [v for _, value, low, high in items for v in (value, low, high) if v is not None]
    lo, hi = min(seen, default=bounds[0]), max(seen, default=bounds[1])
    pad = (hi - lo) * 0.08 or (bounds[1] - bounds[0]) * 0.05
    # Padded inside the bounds; what a bound cuts off on one side goes to the other (a lone value sits inside).
    lo, hi = lo - pad - max(hi + pad - bounds[1], 0), hi + pad + max(bounds[0] - (lo - pad), 0)
    lo, hi = max(lo, bounds[0]), min(hi, bounds[1])

    def x(value: float) -> float:
        return label_width + (width - label_width - right) * (value - lo) / (hi - lo)

    base = len(items) * row + 8
    body = [
        f'<line x1="{label_width}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{GRID}"/>',
        f'<text x="{label_width}" y="{base + 18}" font-size="12" fill="{MUTED}">{escape(written(lo))}</text>',
        f'<text x="{width - right}" y="{base + 18}" text-anchor="end" font-size="12" fill="{MUTED}">'
        f"{escape(written(hi))}</text>",
    ]
    control = items[0][1] if items else None
    if control is not None:
        body.append(
            f'<line x1="{x(control):.1f}" y1="4" x2="{x(control):.1f}" y2="{base}" stroke="{MUTED}" '
            f'stroke-dasharray="4 3"/>'
        )
    for n, (label, value, low, high) in enumerate(items):
        y = n * row + 8 + row / 2
        body.append(
            f'<text x="{label_width - 10}" y="{y + 4:.1f}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(label)}</text>"
        )
        if low is not None and high is not None:
            body += [
                f'<line x1="{x(low):.1f}" y1="{y:.1f}" x2="{x(high):.1f}" y2="{y:.1f}" stroke="{BAR}" stroke-width="3"/>',
                f'<line x1="{x(low):.1f}" y1="{y - 6:.1f}" x2="{x(low):.1f}" y2="{y + 6:.1f}" stroke="{BAR}" stroke-width="2"/>',
                f'<line x1="{x(high):.1f}" y1="{y - 6:.1f}" x2="{x(high):.1f}" y2="{y + 6:.1f}" stroke="{BAR}" stroke-width="2"/>',
            ]
        if value is not None:
            body.append(f'<circle cx="{x(value):.1f}" cy="{y:.1f}" r="5" fill="{INK}"/>')
        body.append(
            f'<text x="{width - right + 8}" y="{y + 4:.1f}" font-size="13" fill="{INK}">{escape(written(value))}</text>'
        )
    return _frame(width, height, title, description, body)


def lines(
    days: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    threshold: tuple[float, str] | None,
    written: Callable[[float], str],
    title: str,
    description: str,
    width: int = 560,
) -> Markup:
    """Rates over days: a line per series (name, a value or None per day: nothing went out), the series told
    apart by colour and by a legend, and a dashed line at the threshold (its value, as written) when given."""
    height, top, base, left, right = 210, 26, 170, 52, 16
    values = [v for _, points in series for v in points if v is not None]
    ceiling = max([*values, threshold[0] * 1.25 if threshold else 0.0]) or 0.01

    def y(value: float) -> float:
        return base - (base - top) * value / ceiling

    def x(n: int) -> float:
        return left + (width - left - right) * (n / max(len(days) - 1, 1))

    body = [
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{base + 4}" text-anchor="end" font-size="11" fill="{MUTED}">{escape(written(0))}</text>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="{MUTED}">'
        f"{escape(written(ceiling))}</text>",
    ]
    if days:
        body += [
            f'<text x="{x(0):.1f}" y="{height - 14}" font-size="11" fill="{MUTED}">{escape(days[0])}</text>',
            f'<text x="{x(len(days) - 1):.1f}" y="{height - 14}" text-anchor="end" font-size="11" fill="{MUTED}">'
            f"{escape(days[-1])}</text>",
        ]
    if threshold:
        at = y(threshold[0])
        body += [
            f'<line x1="{left}" y1="{at:.1f}" x2="{width - right}" y2="{at:.1f}" stroke="{SCORE_COLOURS["detractor"]}" '
            f'stroke-dasharray="5 4"/>',
            f'<text x="{width - right}" y="{at - 5:.1f}" text-anchor="end" font-size="11" '
            f'fill="{SCORE_COLOURS["detractor"]}">{escape(threshold[1])}</text>',
        ]
    colours = (BAR, SCORE_COLOURS["passive"], SCORE_COLOURS["promoter"])
    for n, (name, points) in enumerate(series):
        colour = colours[n % len(colours)]
        drawn = [(x(i), y(v)) for i, v in enumerate(points) if v is not None]
        if len(drawn) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in drawn)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in drawn]
        body += [
            f'<rect x="{left + n * 150}" y="4" width="12" height="12" fill="{colour}" rx="2"/>',
            f'<text x="{left + n * 150 + 18}" y="14" font-size="12" fill="{INK}">{escape(name)}</text>',
        ]
    return _frame(width, height, title, description, body)
