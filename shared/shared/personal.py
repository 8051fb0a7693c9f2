"""Rules about personal data that every service applies the same way."""

import hashlib


def address_hash(email: str) -> str:
    """An email address as a stable pseudonym (suppression list, marketing cap, search): sha256 of its
    trimmed lower-case form."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
