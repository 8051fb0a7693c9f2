"""The notifier's settings: environment variables prefixed NOTIFIER_ (shared ones have no prefix)."""

from datetime import time, timedelta
from email.utils import parseaddr
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.brand import BrandSettings
from shared.events import commands
from shared.settings import ServiceSettings

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class Settings(ServiceSettings, BrandSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", frozen=True, extra="ignore")

    database_schema: str = "notifier"
    database_role: str = Field("offboarding_notifier", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    http_port: int = 8001
    topic_commands: str = commands.NOTIFIER_COMMANDS  # internal: the orchestrator's send commands
    topic_step_results: str = commands.STEP_RESULTS  # internal: what became of each send
    # The message templates (docs/customer-experience.md); the Helm chart's `wording:` points it elsewhere.
    templates_dir: Path = SHIPPED_TEMPLATES
    # Where the journey keys are (the orchestrator's schema): they open the sealed recipients of send commands.
    keyring_schema: str = Field("orchestrator", pattern=r"^[a-z_][a-z0-9_]{0,62}$")

    # Email over SMTP: the mail server (the local sink under `make run`)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(1025, ge=1, le=65535)  # the mail server's port
    smtp_starttls: bool = False  # STARTTLS (port 587)
    smtp_tls: bool = False  # implicit TLS (port 465)
    smtp_username: str | None = None  # SMTP credentials
    smtp_password: SecretStr | None = None  # the SMTP user's password
    smtp_timeout_seconds: float = Field(30, gt=0)  # per send
    mail_from: str = "Acme <goodbye@acme.example>"  # the From header; production refuses the example
    message_id_domain: str = "offboarding.acme.example"  # Message-ID is <command id@this domain>

    # What comes back (bounces, complaints; docs/deliverability.md). Each email's envelope sender is its own
    # return path, bounce+<delivery>-<mac>@<bounce domain>; the MX of that domain must reach the listener.
    bounce_domain: str = Field("bounces.acme.example", pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    # The MAC key of the return paths (a forged bounce cannot name a delivery); production refuses the development one.
    return_path_key: SecretStr = SecretStr("dev-return-path-key")
    # The key of the address pseudonyms (suppression list, delivery feedback, marketing cap): a keyed hash, so the
    # suppressions kept after erasure cannot be tested against a list of addresses. Never change it: every
    # suppression would be forgotten (docs/deliverability.md).
    address_key: SecretStr = SecretStr("dev-address-key")
    # The SMTP listener for bounces (RFC 3464) and complaints (RFC 5965) mailed to the return paths.
    feedback_smtp_host: str = "127.0.0.1"
    feedback_smtp_port: int = Field(0, ge=0, le=65535)  # its port; 0: no listener (`make run`: 2526)
    feedback_max_bytes: int = Field(1_048_576, ge=16_384, le=26_214_400)  # a report quotes the message, at most
    soft_bounce_window: timedelta = timedelta(hours=72)  # soft bounces for longer than this count as hard

    # The email providers' feedback webhooks (POST /webhooks/email/<provider>; each off until configured)
    ses_topic_arns: str = ""  # the SNS topics of the SES notifications, comma-separated
    sns_cert_url_pattern: str = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"  # where SNS URLs may point
    sendgrid_webhook_public_key: str | None = None  # the signed event webhook's verification key (base64)
    postmark_webhook_credentials: SecretStr | None = None  # user:password of the webhook URL, comma-separated

    # The reputation guard: rates over the window; marketing pauses at either threshold past a minimum volume
    reputation_window: timedelta = timedelta(hours=24)  # the guard's rolling window
    reputation_complaint_threshold: float = Field(0.003, gt=0, le=1)  # marketing pauses past this complaint rate
    reputation_bounce_threshold: float = Field(0.05, gt=0, le=1)  # or past this bounce rate
    reputation_min_sent: int = Field(200, ge=1)  # once this many marketing emails went out in the window
    reputation_check_seconds: float = Field(60, gt=0)  # how often the guard counts

    # Authentication of our mail (docs/deliverability.md; `make dns-records` prints what to publish)
    dkim_selector: str = Field("offboarding", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")  # the signature's s=
    dkim_domain: str | None = Field(None, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")  # default: the From domain
    dkim_private_key: SecretStr | None = None  # PEM, from a secret; or a file:
    dkim_private_key_file: Path | None = None  # the DKIM key as a file (PEM); neither: mail is not signed
    spf_senders: str = "mx"  # SPF mechanisms of the hosts that send our mail, e.g. "include:amazonses.com"
    feedback_mx_host: str = "feedback.acme.example"  # the host the bounce domain's MX names (the listener)
    dmarc_reports: str | None = None  # where DMARC aggregate reports go (an address)

    def from_domain(self) -> str:
        return parseaddr(self.mail_from)[1].rpartition("@")[2].lower()

    def dkim_signing_domain(self) -> str:
        return (self.dkim_domain or self.from_domain()).lower()

    # What the messages show and link to: the brand and the company's links (NOTIFIER_BRAND_NAME, ...,
    # NOTIFIER_EXPORT_URL, NOTIFIER_REACTIVATE_URL, ...; shared/brand.py, the same as the survey's pages)
    public_url: str = "http://127.0.0.1:8001"  # where customers reach this service (unsubscribe links)

    # Webhooks: message=url pairs, e.g. support_follow_up=https://helpdesk/hook,customer_asked_for_help=...
    webhook_urls: str = ""
    webhook_url: str | None = None  # the webhook for messages without their own URL
    # The HMAC-SHA256 key of the webhooks' X-Signature header; production refuses the development one.
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    webhook_timeout_seconds: float = Field(10, gt=0)  # per request
    webhook_attempts: int = Field(3, ge=1, le=10)  # tries on 5xx and timeouts (4xx is not retried)

    rate_email_per_second: float = Field(200, gt=0)  # emails sent a second, per replica
    rate_webhook_per_second: float = Field(50, gt=0)  # webhook calls a second, per replica
    # Marketing messages due in these hours (the customer's time zone) wait for their end.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)  # the end of the quiet hours
    marketing_cap_period: timedelta = timedelta(days=7)  # at most one marketing message per customer in this period

    # The sender loop: deliveries claimed per round
    sender_batch_size: int = Field(100, ge=1, le=5000)
    sender_concurrency: int = Field(8, ge=1, le=200)  # sends at once
    # Last-resort poll: a NOTIFY wakes the sender whenever deliveries join the queue
    sender_interval_seconds: float = Field(30.0, gt=0, le=60)
    # A delivery still `sending` after this (its process died) is queued again, or becomes `unconfirmed` if it
    # was handed to the mail server.
    send_lease_seconds: float = Field(300, gt=0)
    # After the database starts again, live senders reconnect and record what they sent: the sweeps wait this
    # long (or the lease, if longer) before settling anything.
    sweep_after_database_start_seconds: float = Field(30, ge=0)

    @field_validator("dkim_private_key_file", "dkim_domain", "dmarc_reports", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # an empty variable (compose, Helm) means "not set"

    @field_validator("webhook_urls")
    @classmethod
    def _pairs(cls, value: str) -> str:
        for pair in filter(None, (p.strip() for p in value.split(","))):
            message, _, url = pair.partition("=")
            if not message or not url.startswith(("http://", "https://")):
                raise ValueError(f"NOTIFIER_WEBHOOK_URLS: {pair!r} is not message=https://...")
        return value

    def address_key_bytes(self) -> bytes:
        return self.address_key.get_secret_value().encode()

    def webhook_url_for(self, message: str) -> str | None:
        urls = dict(p.strip().split("=", 1) for p in self.webhook_urls.split(",") if p.strip())
        return urls.get(message, self.webhook_url)

    @model_validator(mode="after")
    def _own_sender_in_production(self) -> "Settings":
        """The example sender would send as acme.example: its bounces, DKIM and Message-IDs would not be ours."""
        if self.environment == "production":
            example = [
                f"NOTIFIER_{name.upper()}"
                for name in ("mail_from", "bounce_domain", "message_id_domain")
                if getattr(self, name) == type(self).model_fields[name].default
            ]
            if example:
                raise ValueError(f"the example sender in production: set {', '.join(example)} to your own")
        return self

    @model_validator(mode="after")
    def _real_secret_in_production(self) -> "Settings":
        self.refuse_development_secret("NOTIFIER_WEBHOOK_SECRET", self.webhook_secret.get_secret_value())
        self.refuse_development_secret("NOTIFIER_RETURN_PATH_KEY", self.return_path_key.get_secret_value())
        self.refuse_development_secret("NOTIFIER_ADDRESS_KEY", self.address_key.get_secret_value())
        return self
