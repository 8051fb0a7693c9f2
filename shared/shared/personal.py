"""Rules about personal data that every service applies the same way."""

import hashlib
import hmac


def address_hash(email: str) -> str:
    """An email address as a stable pseudonym (the orchestrator's search): sha256 of its trimmed lower-case form."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def keyed_address_hash(email: str, key: bytes) -> str:
    """An email address as a pseudonym only the key's holder can compute (the notifier's suppression list, marketing
    cap and delivery feedback): HMAC-SHA256 under the key of `address_hash`. Whoever reads the table without the
    key cannot test it against a list of addresses, so what a suppression keeps after erasure is not readable.
    Keyed over the plain hash so that rows hashed before the key existed can be re-keyed without the address."""
    return rekey_address_hash(address_hash(email), key)


def rekey_address_hash(plain_hash: str, key: bytes) -> str:
    return hmac.new(key, plain_hash.encode(), hashlib.sha256).hexdigest()
