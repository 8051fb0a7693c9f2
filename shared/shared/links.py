"""Links built, not concatenated: a link template from the settings (`https://app.example/account/export?
subscription={subscription_id}`) gets each value percent-encoded whole, wherever its placeholder stands (path or
query), so that no id can add a parameter, a path segment or a fragment to a link in a company's email."""

from string import Formatter
from urllib.parse import quote, urlsplit


def placeholders(template: str) -> set[str]:
    """The `{names}` in a link template; ValueError for one that is not a link template at all."""
    try:
        fields = [(field, spec, conv) for _, field, spec, conv in Formatter().parse(template) if field is not None]
    except ValueError as exc:
        raise ValueError(f"{template!r}: {exc}") from None
    names = {field for field, _, _ in fields}
    if any(spec or conv for _, spec, conv in fields) or "" in names:
        raise ValueError(f"{template!r}: placeholders are plain {{name}}s, without format specs or conversions")
    return names


def check_template(template: str, *, allowed: set[str]) -> str:
    """A link template fit for the settings: an http(s) URL with a host, whose placeholders are all `allowed`."""
    unknown = placeholders(template) - allowed
    if unknown:
        raise ValueError(f"{template!r}: unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    parts = urlsplit(fill(template, **dict.fromkeys(allowed, "x")))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{template!r}: must be an http:// or https:// URL with a host")
    return template


def fill(template: str, **values: object) -> str:
    """The template with each value percent-encoded as one unit (`/`, `&`, `=`, `?`, `#`, spaces, any Unicode)."""
    return template.format(**{name: quote(str(value), safe="") for name, value in values.items()})
