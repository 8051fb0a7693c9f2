"""`python -m notifier dns-records` (`make dns-records`): the DNS records to publish for the configured sender,
from the notifier's own settings (NOTIFIER_MAIL_FROM, _BOUNCE_DOMAIN, _DKIM_*, _SPF_SENDERS, _FEEDBACK_MX_HOST,
_DMARC_REPORTS), as zone-file lines; then what does not line up, if anything."""

import argparse
import sys

from notifier.adapters.dkim_signing import signer_for
from notifier.config import Settings
from notifier.domain.authentication import alignment_warnings, dns_records


def records_text(settings: Settings) -> str:
    signer = signer_for(settings)
    records = dns_records(
        from_domain=settings.from_domain(),
        bounce_domain=settings.bounce_domain,
        dkim_selector=settings.dkim_selector,
        dkim_domain=signer.domain if signer else None,
        dkim_public_key_b64=signer.public_key_b64() if signer else None,
        spf_senders=settings.spf_senders,
        feedback_host=settings.feedback_mx_host,
        dmarc_reports=settings.dmarc_reports,
    )
    lines = [f"; mail From {settings.from_domain()}, return paths @{settings.bounce_domain}"]
    lines += [record.zone_line() for record in records]
    warnings = alignment_warnings(
        from_domain=settings.from_domain(),
        dkim_domain=signer.domain if signer else None,
        bounce_domain=settings.bounce_domain,
    )
    lines += [f"; warning: {w}" for w in warnings]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    argparse.ArgumentParser(prog="python -m notifier dns-records", description=__doc__.split("\n\n")[0]).parse_args(
        argv
    )
    try:
        print(records_text(Settings()))
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {exc}")
