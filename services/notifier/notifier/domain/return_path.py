"""The per-message return path (VERP): `bounce+<delivery>-<mac>@<bounce domain>`, the envelope sender of each
email, so a bounce or complaint mailed back names the delivery it is about without any personal data.

The delivery id is written in hex; the MAC (HMAC-SHA256 with NOTIFIER_RETURN_PATH_KEY, its first 60 bits in
lower-case base32) makes the address unguessable, so a forged report cannot suppress somebody else's address.
Both parts survive a mail system that folds the local part to lower case."""

import base64
import hashlib
import hmac
import re

LOCAL = "bounce"
ADDRESS = re.compile(rf"^{LOCAL}\+([0-9a-f]{{1,16}})-([a-z2-7]{{12}})@(.+)$")


def _mac(key: bytes, token: str) -> str:
    digest = hmac.new(key, f"return-path:{token}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:8]).decode().lower()[:12]


def return_path(delivery_id: int, *, key: bytes, domain: str) -> str:
    token = format(delivery_id, "x")
    return f"{LOCAL}+{token}-{_mac(key, token)}@{domain}"


def delivery_of(address: str, *, key: bytes, domain: str) -> int | None:
    """The delivery a return path names; None for any other address (another domain, a bad or missing MAC)."""
    match = ADDRESS.match(address.strip().strip("<>").lower())
    if match is None or match.group(3) != domain.lower():
        return None
    token, mac = match.group(1), match.group(2)
    return int(token, 16) if hmac.compare_digest(mac, _mac(key, token)) else None
