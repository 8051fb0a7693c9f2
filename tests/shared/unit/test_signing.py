"""Signatures of internal records (shared.signing): they hold for exactly the key, record key and value signed."""

import os

from hypothesis import given
from hypothesis import strategies as st

from shared import signing

MAC = os.urandom(32)


def test_a_signature_holds_for_its_record_only():
    header = signing.signature(MAC, "sub_1", b'{"a":1}').encode()
    assert signing.verify(MAC, "sub_1", b'{"a":1}', header)
    assert signing.verify(MAC, b"sub_1", b'{"a":1}', header), "the record's key as bytes, as Kafka hands it over"
    assert not signing.verify(MAC, "sub_1", b'{"a":2}', header)
    assert not signing.verify(MAC, "sub_2", b'{"a":1}', header)
    assert not signing.verify(MAC, None, b'{"a":1}', header)
    assert not signing.verify(os.urandom(32), "sub_1", b'{"a":1}', header)
    assert not signing.verify(MAC, "sub_1", b'{"a":1}', None)
    assert not signing.verify(MAC, "sub_1", b'{"a":1}', header + b"=" * 200), "an oversized header"


@given(st.binary(max_size=20), st.binary(max_size=20), st.binary(max_size=40))
def test_key_and_value_cannot_trade_bytes(key_a, key_b, value):
    # "ab" + "c" and "a" + "bc" must not sign alike, nor a missing key and an empty one.
    moved = key_a + key_b[:1]
    if moved != key_a:
        assert signing.signature(MAC, key_a, key_b[:1] + value) != signing.signature(MAC, moved, value)
    assert signing.signature(MAC, None, value) != signing.signature(MAC, b"", value)
