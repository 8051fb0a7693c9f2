"""Survey links: `<random>.<signature>`. The random part (128 bits) is stored only as its SHA-256; the HMAC
signature lets a forged or mistyped token be refused before the database is asked."""

import base64
import hashlib
import hmac
import re
import secrets


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signature(secret: bytes, random_part: str) -> str:
    return _b64(hmac.new(secret, random_part.encode(), hashlib.sha256).digest()[:16])


def token_hash(random_part: str) -> str:
    return hashlib.sha256(random_part.encode()).hexdigest()


def new_token(secret: bytes) -> tuple[str, str]:
    """A fresh token and the hash to store."""
    random_part = _b64(secrets.token_bytes(16))
    return f"{random_part}.{_signature(secret, random_part)}", token_hash(random_part)


TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$")


def verified_hash(token: str, secret: bytes) -> str | None:
    """The stored hash this token stands for, or None when it is not one of ours (whatever was typed)."""
    if not TOKEN.match(token):
        return None
    random_part, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(secret, random_part).encode()):
        return None
    return token_hash(random_part)
