"""Bearer-token authentication with roles for the services' /v1 routes.

Tokens come from OFFBOARDING_API_TOKENS as comma-separated `token:role` pairs; roles are `viewer` (read)
and `operator` (read and act). A missing or unknown token is 401, a role too low is 403, and an address (or a
token prefix) that sent too many unknown tokens lately waits, exponentially longer, answered 429
(`auth_throttle`).
"""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from shared.auth_throttle import FailedAttempts
from shared.http import ApiError

Role = Literal["viewer", "operator"]
RANK: dict[str, int] = {"viewer": 1, "operator": 2}
DEVELOPMENT_TOKENS = frozenset({"dev-viewer", "dev-operator"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a fingerprint of the token (never the token itself) and its role."""

    name: str
    role: Role


def parse_tokens(spec: str) -> dict[str, Role]:
    """`a:viewer,b:operator` -> {"a": "viewer", "b": "operator"}; raises ValueError naming the bad pair."""
    tokens: dict[str, Role] = {}
    for pair in filter(None, (p.strip() for p in spec.split(","))):
        token, _, role = pair.rpartition(":")
        if not token or role not in RANK:
            raise ValueError(
                f"OFFBOARDING_API_TOKENS: {pair.split(':')[0][:4]}…: expected token:viewer or token:operator"
            )
        tokens[token] = role  # type: ignore[assignment]
    return tokens


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def fingerprint(token: str) -> str:
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:10]


class TokenAuth:
    def __init__(self, tokens: dict[str, Role], *, failures: FailedAttempts | None = None) -> None:
        self._tokens = tokens
        self._failures = failures or FailedAttempts()

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
        principal, wait = self.check(token, client_address(request))
        if wait is not None:
            raise ApiError(
                429,
                "too_many_attempts",
                f"too many unknown tokens from this address lately; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if principal is None:
            raise ApiError(401, "unauthorized", "unknown token")
        return principal

    def check(self, token: str, address: str) -> tuple[Principal | None, int | None]:
        """(who the token belongs to, None), or (None, seconds to wait) for an address or token prefix that must
        wait for now, whose token is then not looked at. An unknown token counts against both."""
        sources = FailedAttempts.sources(address, token)
        wait = self._failures.retry_after(sources)
        if wait is not None:
            return None, wait
        principal = self.principal_for_token(token)
        if principal is None:
            self._failures.failed(sources)
        return principal, None

    def principal_for_token(self, token: str) -> Principal | None:
        """Who a token belongs to (compared in constant time), or None for an unknown one."""
        given = token.strip().encode("utf-8", "replace")
        for known, role in self._tokens.items():
            if hmac.compare_digest(known.encode(), given):
                return Principal(fingerprint(known), role)
        return None

    @property
    def tokens(self) -> dict[str, Role]:
        return dict(self._tokens)

    def require(self, role: Role):
        """A FastAPI dependency: the caller, if their role is at least `role`."""

        def dependency(request: Request) -> Principal:
            principal = self.principal(request)
            if RANK[principal.role] < RANK[role]:
                raise ApiError(403, "forbidden", f"this needs the {role} role; the token has {principal.role}")
            return principal

        return Annotated[Principal, Depends(dependency)]
