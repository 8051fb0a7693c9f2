"""Alignment, the DNS records and the DKIM signature, without DNS."""

import re

from notifier.domain.authentication import DnsRecord, aligned, alignment_warnings, dns_records


def test_alignment_is_the_domain_or_a_subdomain_either_way():
    assert aligned("acme.example", "acme.example") and aligned("mail.acme.example", "acme.example")
    assert aligned("ACME.example.", "news.acme.example")
    assert not aligned("acme.example.evil", "acme.example") and not aligned("notacme.example", "acme.example")


def test_warnings_name_what_receivers_will_not_trust():
    ok = alignment_warnings(
        from_domain="acme.example", dkim_domain="acme.example", bounce_domain="bounces.acme.example"
    )
    assert ok == []
    unsigned = alignment_warnings(from_domain="acme.example", dkim_domain=None, bounce_domain="bounces.acme.example")
    assert len(unsigned) == 1 and "not DKIM-signed" in unsigned[0]
    both = alignment_warnings(from_domain="acme.example", dkim_domain="esp.example", bounce_domain="bounce.esp.example")
    assert len(both) == 2 and "esp.example" in both[0] and "SPF" in both[1]


def test_the_records_and_a_long_key_split_into_dns_strings():
    key = "A" * 400
    records = dns_records(
        from_domain="acme.example",
        bounce_domain="bounces.acme.example",
        dkim_selector="offboarding",
        dkim_domain="acme.example",
        dkim_public_key_b64=key,
        spf_senders="include:amazonses.com",
        feedback_host="feedback.acme.example",
        dmarc_reports="dmarc@acme.example",
    )
    names = [(r.name, r.kind) for r in records]
    assert names == [
        ("bounces.acme.example", "MX"),
        ("bounces.acme.example", "TXT"),
        ("offboarding._domainkey.acme.example", "TXT"),
        ("_dmarc.acme.example", "TXT"),
    ]
    assert records[1].value == "v=spf1 include:amazonses.com ~all"
    assert "rua=mailto:dmarc@acme.example" in records[3].value
    line = records[2].zone_line()
    strings = line.split("\t")[4]
    assert strings.count('"') == 4 and all(len(s) <= 255 for s in strings.strip('"').split('" "'))
    assert DnsRecord("x.example", "MX", "10 y.example.", "why").zone_line().startswith("x.example.\t3600\tIN\tMX\t10")


def test_the_openssl_signature_is_dkimpys_own_byte_for_byte_and_verifies():
    import dkim

    from notifier.adapters import dkim_signing

    signer = dkim_signing.DkimSigner(
        selector="offboarding", domain="acme.example", private_key_pem=dkim_signing.new_private_key_pem()
    )
    message = b"From: Acme <goodbye@acme.example>\r\nTo: a@example.org\r\nSubject: Bye\r\n\r\nThanks.\r\n"
    tag = lambda signed, name: re.search(rb";\s*" + name + rb"=([^;]+)", signed.split(b"\r\nFrom:")[0]).group(1)  # noqa: E731
    registered = dict(dkim_signing._KEYS)
    for _ in range(3):  # the signature covers its time (t=): compare two made within the same second
        fast = signer.sign(message)
        dkim_signing._KEYS.clear()  # dkimpy's own arithmetic for the same key
        try:
            slow = signer.sign(message)
        finally:
            dkim_signing._KEYS.update(registered)
        if tag(fast, b"t") == tag(slow, b"t"):
            break
    assert tag(fast, b"t") == tag(slow, b"t")
    assert tag(fast, b"b") == tag(slow, b"b"), "the same signature, byte for byte"
    record = f"v=DKIM1; k=rsa; p={signer.public_key_b64()}".encode()
    assert dkim.verify(fast, dnsfunc=lambda name, timeout=5: record)
