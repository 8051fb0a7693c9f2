"""How receivers authenticate our mail, as pure rules: which domains must line up, and the DNS records to
publish (docs/deliverability.md).

DMARC passes when SPF or DKIM passes *aligned* with the From domain: DKIM's `d=` domain, and SPF's domain,
which is the envelope sender's, here the return path's (the bounce domain). Relaxed alignment (the DMARC
default, and what the printed record asks for) takes a subdomain of the same registered domain; this check
takes "one is the other or a subdomain of it", which is right for every domain that is not itself directly
under a public suffix like co.uk (there it is stricter than needed, never looser)."""

from dataclasses import dataclass


def aligned(domain: str, from_domain: str) -> bool:
    a, b = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def alignment_warnings(*, from_domain: str, dkim_domain: str | None, bounce_domain: str) -> list[str]:
    """What a platform team should fix before receivers trust the mail (empty: nothing)."""
    warnings = []
    if dkim_domain is None:
        warnings.append("mail is not DKIM-signed (no NOTIFIER_DKIM_PRIVATE_KEY[_FILE]): Gmail and Yahoo require it")
    elif not aligned(dkim_domain, from_domain):
        warnings.append(f"the DKIM domain {dkim_domain} is not aligned with the From domain {from_domain}")
    if not aligned(bounce_domain, from_domain):
        warnings.append(f"the bounce domain {bounce_domain} is not aligned with the From domain {from_domain} (SPF)")
    return warnings


@dataclass(frozen=True)
class DnsRecord:
    name: str
    kind: str  # TXT | MX
    value: str
    why: str

    def zone_line(self) -> str:
        """As a zone file line; a TXT value in strings of at most 255 characters (RFC 1035)."""
        if self.kind == "TXT":
            chunks = [self.value[i : i + 255] for i in range(0, len(self.value), 255)]
            value = " ".join(f'"{c}"' for c in chunks)
        else:
            value = self.value
        return f"{self.name}.\t3600\tIN\t{self.kind}\t{value}\t; {self.why}"


def dns_records(
    *,
    from_domain: str,
    bounce_domain: str,
    dkim_selector: str,
    dkim_domain: str | None,
    dkim_public_key_b64: str | None,
    spf_senders: str,
    feedback_host: str,
    dmarc_reports: str | None,
) -> list[DnsRecord]:
    records = [
        DnsRecord(bounce_domain, "MX", f"10 {feedback_host.rstrip('.')}.", "bounces and complaints come back here"),
        DnsRecord(bounce_domain, "TXT", f"v=spf1 {spf_senders} ~all", "SPF of the return paths: the hosts that send"),
    ]
    if dkim_domain and dkim_public_key_b64:
        records.append(
            DnsRecord(
                f"{dkim_selector}._domainkey.{dkim_domain}",
                "TXT",
                f"v=DKIM1; k=rsa; p={dkim_public_key_b64}",
                "the DKIM public key",
            )
        )
    reports = f"; rua=mailto:{dmarc_reports}" if dmarc_reports else ""
    records.append(
        DnsRecord(
            f"_dmarc.{from_domain}",
            "TXT",
            f"v=DMARC1; p=none{reports}; adkim=r; aspf=r",
            "DMARC: start at p=none, read the reports, then quarantine",
        )
    )
    return records
