"""The notifier's cost of one email before it reaches the wire, in-process: the message's context, the
message file's blocks, the MJML layout filled in, the MIME message built and turned into bytes. Every shipped
message in both locales, in turn; CPU time per email (process time, so other processes do not count), the
median of several rounds, and the one-off compile of the layout when the renderer starts. Then what the
sender adds to each: its return path (an HMAC) and its DKIM signature (2048-bit RSA, dkimpy), in µs."""

import statistics
import time
from types import SimpleNamespace

from common import ROOT  # noqa: F401  (puts the project on the import path)

from notifier.adapters.context import message_context
from notifier.adapters.dkim_signing import DkimSigner, new_private_key_pem
from notifier.adapters.email import build_email, mailbox, message_id
from notifier.adapters.rendering import Renderer
from notifier.config import SHIPPED_TEMPLATES, Settings
from notifier.domain.return_path import return_path

FACTS = {
    "plan": "Pro",
    "cancelled_at": "2026-11-24T10:00:00+00:00",
    "effective_at": "2026-12-23T23:30:00+00:00",
    "deletion_at": "2027-01-22T23:30:00+00:00",
    "survey_url": "https://survey.acme.example/s/tok",
}


def email_build(emails: int, rounds: int = 5) -> dict:
    settings = Settings()
    started = time.process_time()
    renderer = Renderer(SHIPPED_TEMPLATES, brand=settings.brand())
    compile_ms = (time.process_time() - started) * 1000
    messages = renderer.messages()
    per_email = []
    for _ in range(rounds):
        began = time.process_time()
        for n in range(emails):
            locale, file = messages[n % len(messages)]
            per_email_bytes(renderer, settings, locale, file, n)
        per_email.append((time.process_time() - began) / emails * 1e6)
    return {
        "emails_per_round": emails,
        "rounds": rounds,
        "us_per_email_median": round(statistics.median(per_email)),
        "us_per_email_rounds": [round(v) for v in per_email],
        "layout_compile_ms": round(compile_ms, 1),
        **authentication_cost(renderer, settings, messages, min(emails, 500), rounds),
    }


def authentication_cost(renderer, settings, messages, emails: int, rounds: int) -> dict:
    """CPU µs per email of the return path and of the DKIM signature (over the email's own bytes, CRLF)."""
    signer = DkimSigner(selector="offboarding", domain="acme.example", private_key_pem=new_private_key_pem())
    key = b"k" * 32
    raws = [
        per_email_bytes(renderer, settings, *messages[n % len(messages)], n)
        .replace(b"\r\n", b"\n")
        .replace(b"\n", b"\r\n")
        for n in range(emails)
    ]
    signing, paths = [], []
    for _ in range(rounds):
        began = time.process_time()
        for raw in raws:
            signer.sign(raw)
        signing.append((time.process_time() - began) / emails * 1e6)
        began = time.process_time()
        for n in range(emails):
            return_path(n, key=key, domain="bounces.acme.example")
        paths.append((time.process_time() - began) / emails * 1e6)
    return {
        "dkim_us_per_email_median": round(statistics.median(signing)),
        "return_path_us_per_email_median": round(statistics.median(paths), 1),
    }


def per_email_bytes(renderer: Renderer, settings: Settings, locale: str, file: str, n: int) -> bytes:
    message, _, _ = file.removesuffix(".j2").partition(".")
    segment = "b2b" if ".b2b." in file else "b2c"
    delivery = SimpleNamespace(
        segment=segment,
        subscription_id=f"sub_{n}",
        recipient={"name": "Ada Lovelace", "company": "Engines Ltd", "locale": locale, "timezone": "Europe/Berlin"},
        facts=FACTS,
    )
    rendered = renderer.render(
        message=message,
        locale=locale,
        segment=segment,
        context=message_context(delivery, settings),
        unsubscribe_url="https://n.acme.example/u/tok",
    )
    outgoing = build_email(
        rendered=rendered,
        sender=settings.mail_from,
        to=mailbox(f"customer{n}@example.com", "Ada Lovelace"),
        msg_id=message_id(f"cmd-{n}", settings.message_id_domain),
        unsubscribe_url=None,
        journey_id=f"j-{n}",
        step="confirmation",
    )
    return outgoing.as_bytes()


if __name__ == "__main__":
    print(email_build(2000))
