"""Personal data on internal topics, sealed with a key per journey (crypto-shredding): AES-256-GCM from the
`cryptography` package, the keys in PostgreSQL (the orchestrator's `journey_keys` table; the notifier reads it).
Erasing a journey deletes its key, so the copies of its commands still in Kafka (until retention removes them)
can no longer be read by anyone.

Why per journey and not per customer: the contract erases per journey (its data-deletion step, an operator's
erase action), and one customer's two subscriptions are two journeys; a key per customer would either leave an
erased journey's messages readable or make another, still running, journey's unreadable.
"""

import base64
import json
import os
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

KEY_BYTES = 32


class Sealed(BaseModel):
    """Encrypted JSON: the key id (the journey id, also the associated data), a 96-bit nonce, the ciphertext."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alg: Literal["A256GCM"] = "A256GCM"
    kid: str = Field(min_length=1, max_length=64)
    nonce: str = Field(min_length=16, max_length=16)  # 12 bytes, base64url
    ciphertext: str = Field(min_length=1, max_length=65_536)


class Unreadable(Exception):
    """No key (erased) or a ciphertext that does not open with it (tampered)."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def seal(key: bytes, kid: str, value: dict[str, Any]) -> Sealed:
    nonce = os.urandom(12)
    plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, kid.encode())
    return Sealed(kid=kid, nonce=_b64(nonce), ciphertext=_b64(ciphertext))


def unseal(key: bytes | None, sealed: Sealed) -> dict[str, Any]:
    """The sealed value; Unreadable without the key or if it does not open with it."""
    if key is None:
        raise Unreadable(f"no key for {sealed.kid}: its personal data is erased")
    try:
        plaintext = AESGCM(key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), sealed.kid.encode())
    except (InvalidTag, ValueError) as exc:
        raise Unreadable(f"sealed data for {sealed.kid} does not open with its key") from exc
    return json.loads(plaintext)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
