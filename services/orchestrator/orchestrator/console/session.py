"""Console sessions: a signed cookie (HMAC-SHA256 over its JSON), HttpOnly, SameSite=Strict, expiring, that
names the staff member's token by its fingerprint (never the token), their role, language and time zone,
and a CSRF token that every state-changing form must carry. A session whose token is no longer configured,
or configured with another role, is not honoured: revoking a token ends its sessions."""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from fastapi import Request
from fastapi.responses import Response

from shared.auth import Role, fingerprint

COOKIE = "console_session"
SIGN_IN_COOKIE = "console_sign_in"  # the sign-in form's CSRF token (double submit: no session exists yet)
PATH = "/console"


@dataclass(frozen=True)
class Staff:
    principal: str  # the token's fingerprint: what the audit log names
    role: Role
    csrf: str
    lang: str
    tz: str
    expires: int

    @property
    def operator(self) -> bool:
        return self.role == "operator"


class Sessions:
    def __init__(self, secret: bytes, *, hours: float, tokens: dict[str, Role], secure: bool) -> None:
        self._secret, self._seconds, self._secure = secret, int(hours * 3600), secure
        self._roles = {fingerprint(token): role for token, role in tokens.items()}

    def sign_in(self, response: Response, *, principal: str, role: Role, lang: str, tz: str) -> Staff:
        staff = Staff(principal, role, secrets.token_urlsafe(24), lang, tz, int(time.time()) + self._seconds)
        response.set_cookie(COOKIE, self._seal(asdict(staff)), max_age=self._seconds, **self._flags())
        response.delete_cookie(SIGN_IN_COOKIE, path=PATH)
        return staff

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=PATH, secure=self._secure, httponly=True, samesite="strict")

    def staff(self, request: Request) -> Staff | None:
        """The signed-in staff member, or None (no cookie, a forged or expired one, a revoked token)."""
        data = self._open(request.cookies.get(COOKIE, ""))
        if data is None:
            return None
        try:
            staff = Staff(**data)
        except TypeError:
            return None
        if staff.expires < time.time() or self._roles.get(staff.principal) != staff.role:
            return None
        return staff

    @staticmethod
    def sign_in_token(request: Request) -> str:
        """The sign-in form's CSRF token: the one in its cookie, or a new one."""
        return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)

    def keep_sign_in_token(self, response: Response, token: str) -> None:
        response.set_cookie(SIGN_IN_COOKIE, token, max_age=1800, **self._flags())

    def _flags(self) -> dict:
        return {"path": PATH, "httponly": True, "samesite": "strict", "secure": self._secure}

    def _seal(self, data: dict) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}"

    def _open(self, cookie: str) -> dict | None:
        payload, _, signature = cookie.partition(".")
        if not payload or not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())
