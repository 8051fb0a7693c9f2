"""The email providers' feedback webhooks, each signed as its provider signs them: SES through SNS (a test
certificate served by a local HTTP server standing in for SNS's certificate host; the host rule configured for
it), SendGrid's ECDSA-signed event webhook, Postmark's basic credentials. Each for an email the notifier really
sent through the sink."""

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from notifier.bootstrap import bootstrap
from shared.testing import free_port

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"


class SnsStandIn:
    """Serves the signing certificate and takes subscription confirmations, as SNS's hosts do."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.eu-west-1.amazonaws.com")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(1)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
        )
        pem, hits = certificate.public_bytes(serialization.Encoding.PEM), []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                body = pem if self.path == "/cert.pem" else b"<ConfirmSubscriptionResponse/>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, message: dict) -> dict:
        """SignatureVersion 2: SHA256 over the documented fields, name and value on lines of their own."""
        fields = ("Message", "MessageId", "Subject", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
        text = "".join(f"{n}\n{message[n]}\n" for n in fields if n in message)
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        return message | {
            "SignatureVersion": "2",
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": f"{self.url}/cert.pem",
        }


def sns_message(kind: str, **fields) -> dict:
    return {
        "Type": kind,
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Timestamp": "2026-12-02T10:00:00.000Z",
        **fields,
    }


@pytest.fixture
def sns():
    stand_in = SnsStandIn()
    yield stand_in
    stand_in.server.shutdown()


async def test_ses_bounces_through_sns_and_the_subscription_is_confirmed(settings_for, smtp_sink, sns):
    settings = settings_for(ses_topic_arns=TOPIC, sns_cert_url_pattern=r"^http://127\.0\.0\.1:\d+/")
    command_id, command = send_message()
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        await orchestrator.results({command_id})
        (sent,) = mail_to(smtp_sink.maildir, command.recipient.email)
        bounce = {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": command.recipient.email, "status": "5.1.1", "action": "failed"}],
                "timestamp": "2026-12-02T10:00:01.000Z",
            },
            "mail": {"source": sent["Return-Path"].strip("<>"), "commonHeaders": {"messageId": sent["Message-ID"]}},
        }
        subscribe = sns.sign(
            sns_message(
                "SubscriptionConfirmation", Message="confirm", Token="tok", SubscribeURL=f"{sns.url}/confirm?Token=tok"
            )
        )
        notification = sns.sign(sns_message("Notification", Message=json.dumps(bounce)))
        forged = notification | {"Message": json.dumps(bounce | {"notificationType": "Complaint"})}
        elsewhere = notification | {"SigningCertURL": "https://evil.example/cert.pem"}
        other_topic = sns.sign(sns_message("Notification", Message=json.dumps(bounce)) | {"TopicArn": "arn:x"})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=notifier.http_app), base_url="http://t") as c:
            answers = [
                await c.post("/webhooks/email/ses", json=m)
                for m in (subscribe, notification, notification, forged, elsewhere, other_topic)
            ]
            unreadable = await c.post("/webhooks/email/ses", content=b"{not json")
            log = (
                await c.get(
                    "/v1/deliveries",
                    params={"journey_id": command.journey_id},
                    headers={"Authorization": "Bearer viewer-token"},
                )
            ).json()["items"]
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 400, 400], [a.text for a in answers]
    assert answers[0].json()["status"] == "subscribed" and "/confirm?Token=tok" in sns.hits
    assert answers[1].json()["recorded"] == {"hard": 1} and answers[2].json()["recorded"] == {"duplicate": 1}
    assert sns.hits.count("/cert.pem") == 1, "the certificate is fetched once; never from another host"
    assert unreadable.status_code == 400
    assert (log[0]["status"], log[0]["feedback_kind"], log[0]["feedback_code"]) == ("bounced", "hard", "5.1.1")


def sendgrid_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(der).decode()


def sendgrid_headers(key, body: bytes, at: int) -> dict:
    signature = key.sign(str(at).encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": str(at),
        "Content-Type": "application/json",
    }


async def test_sendgrid_spam_reports_and_postmark_bounces(settings_for, smtp_sink):
    key, public = sendgrid_key()
    settings = settings_for(sendgrid_webhook_public_key=public, postmark_webhook_credentials="pm:pm-secret")
    (sg_id, sg_cmd), (pm_id, pm_cmd) = send_message(), send_message()
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(sg_id, sg_cmd)
        await orchestrator.send(pm_id, pm_cmd)
        await orchestrator.results({sg_id, pm_id})
        (sent,) = mail_to(smtp_sink.maildir, sg_cmd.recipient.email)
        events = [
            {
                "email": sg_cmd.recipient.email,
                "timestamp": int(time.time()),
                "event": "delivered",
                "smtp-id": sent["Message-ID"],
            },
            {
                "email": sg_cmd.recipient.email,
                "timestamp": int(time.time()),
                "event": "spamreport",
                "smtp-id": sent["Message-ID"],
                "sg_event_id": "x",
            },
        ]
        body = json.dumps(events).encode()
        now = int(time.time())
        postmark = {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "TypeCode": 1,
            "Email": pm_cmd.recipient.email,
            "BouncedAt": "2026-12-02T10:00:00Z",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        }
        good = {"Authorization": "Basic " + base64.b64encode(b"pm:pm-secret").decode()}
        bad = {"Authorization": "Basic " + base64.b64encode(b"pm:guess").decode()}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=notifier.http_app), base_url="http://t") as c:
            signed = await c.post("/webhooks/email/sendgrid", content=body, headers=sendgrid_headers(key, body, now))
            tampered = await c.post(
                "/webhooks/email/sendgrid",
                content=body.replace(b"spamreport", b"bounce"),
                headers=sendgrid_headers(key, body, now),
            )
            stale = await c.post(
                "/webhooks/email/sendgrid", content=body, headers=sendgrid_headers(key, body, now - 3600)
            )
            unsigned = await c.post("/webhooks/email/sendgrid", content=body)
            pm = await c.post("/webhooks/email/postmark", json=postmark, headers=good)
            pm_bad = await c.post("/webhooks/email/postmark", json=postmark, headers=bad)
            ses_off = await c.post("/webhooks/email/ses", json={})
            viewer = {"Authorization": "Bearer viewer-token"}
            logs = {
                cmd.journey_id: (
                    await c.get("/v1/deliveries", params={"journey_id": cmd.journey_id}, headers=viewer)
                ).json()["items"][0]
                for cmd in (sg_cmd, pm_cmd)
            }
    assert signed.status_code == 200 and signed.json()["recorded"] == {"complaint": 1}, signed.text
    assert [r.status_code for r in (tampered, stale, unsigned)] == [400, 400, 400]
    assert pm.status_code == 200 and pm.json()["recorded"] == {"hard": 1} and pm_bad.status_code == 400
    assert ses_off.status_code == 404
    assert (logs[sg_cmd.journey_id]["status"], logs[sg_cmd.journey_id]["feedback_code"]) == ("complained", "abuse")
    assert (logs[pm_cmd.journey_id]["status"], logs[pm_cmd.journey_id]["feedback_code"]) == ("bounced", "1")
