"""DKIM end to end: the notifier signs with a key (the development key `make run` makes), the message goes through
the real SMTP sink, and dkimpy verifies it against the record `make dns-records` prints for that key. A message
changed on the way fails."""

import re

import dkim
import pytest

from notifier.bootstrap import bootstrap
from notifier.tools import dkim_key
from notifier.tools.dns_records import records_text

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration


def dns_from(printed: str):
    """A resolver answering from the printed zone lines (their TXT strings joined, as DNS clients do)."""
    answers = {}
    for line in printed.splitlines():
        fields = line.split("\t")
        if len(fields) >= 5 and fields[3] == "TXT":
            answers[fields[0].encode()] = "".join(re.findall(r'"([^"]*)"', fields[4])).encode()

    def txt(name: bytes, timeout: int = 5) -> bytes | None:
        return answers.get(name)

    return txt


async def test_sent_mail_is_dkim_signed_and_verifies_against_the_printed_record(settings_for, smtp_sink, tmp_path):
    key = tmp_path / "dkim.pem"
    dkim_key.main(["--out", str(key)])
    assert key.stat().st_mode & 0o777 == 0o600, "the private key is the owner's only"
    settings = settings_for(dkim_private_key_file=key)
    command_id, command = send_message()
    async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        await orchestrator.results({command_id})
    (mail,) = mail_to(smtp_sink.maildir, command.recipient.email)
    raw = bytes(mail)
    # The sink's own headers come first, as a receiving server's would; the signature is over ours.
    assert b"DKIM-Signature:" in raw and b"d=acme.example" in raw and b"s=offboarding" in raw
    resolver = dns_from(records_text(settings))
    assert dkim.verify(raw, dnsfunc=resolver)
    assert not dkim.verify(raw.replace(b"Subject: ", b"Subject: FW: ", 1), dnsfunc=resolver), "a changed subject"
