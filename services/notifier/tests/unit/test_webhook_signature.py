"""The webhook signature receivers verify."""

import hashlib
import hmac

from notifier.adapters.webhook import sign


def test_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"event":"support_follow_up"}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign(b"s3cret", body) == f"sha256={expected}"
    assert sign(b"other", body) != sign(b"s3cret", body)
