"""Internal messages signed by the service that writes them: HMAC-SHA256 over the record's key and value, with
the MAC key of the journey the message is about (shared.keyring), in the record header `offboarding-mac`.

Why a key per journey: the reader must know the key, and the journey keys are already where every service
that reads internal topics can read them; a message about a journey that does not exist cannot be signed at
all, and the keys turn over with the journeys (a leaked one serves one journey). Kafka ACLs decide which
service may write which topic; the signature makes a record that got past them (an open listener, a
misconfigured ACL, a copy altered on its way) worthless: unsigned or altered, it is dead-lettered unread.

The value is signed as the bytes that go to Kafka (the outbox keeps them as they are), so nothing has to be
serialised the same way twice.
"""

import base64
import hashlib
import hmac

HEADER = "offboarding-mac"
VERSION = "v1"
MAX_HEADER_BYTES = 128


def signature(mac_key: bytes, key: str | bytes | None, value: bytes) -> str:
    """The header value for a record with this key and value."""
    digest = hmac.new(mac_key, _signed_bytes(key, value), hashlib.sha256).digest()
    return f"{VERSION}={base64.urlsafe_b64encode(digest).decode().rstrip('=')}"


def verify(mac_key: bytes, key: str | bytes | None, value: bytes, header: bytes | None) -> bool:
    """Whether `header` is this record's signature under `mac_key` (compared in constant time)."""
    if header is None or len(header) > MAX_HEADER_BYTES:
        return False
    expected = signature(mac_key, key, value).encode()
    return hmac.compare_digest(expected, header)


def _signed_bytes(key: str | bytes | None, value: bytes) -> bytes:
    # A length prefix keeps key and value apart: no key/value pair signs the same bytes as another.
    # The key as the record carries it: the outbox's text key is sent UTF-8 encoded.
    key_bytes = b"" if key is None else key if isinstance(key, bytes) else key.encode("utf-8")
    length = -1 if key is None else len(key_bytes)
    return b"%s\n%d\n%s%s" % (VERSION.encode(), length, key_bytes, value)
