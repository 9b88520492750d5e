"""End users' tokens: a JWT signed by an internal app, turned into a principal.

Sits in the doors' authentication step beside the API-key lookup of `principals.py`: a bearer
token that `looks_like_jwt` comes here instead. The issuer the token names picks the key and the
algorithms (the token's own `alg` header chooses nothing), so `alg: none` and an HS256 token
"signed" with a public key both fail. The user gets only roles and purposes its app holds, and
the principal's name carries both (`app:subject`) so the audit record says who asked and through
which app. Refusals say what was wrong and never repeat the token or a claim's value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import jwt
from jwt import exceptions as jwt_errors
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxy.errors import AuthenticationFailed
from proxy.identity.jwt_issuers import TrustedIssuer, load_trusted_issuers
from proxy.identity.principals import Principal, PrincipalDirectory

MAX_TOKEN_CHARS = 8192  # aiohttp refuses longer header lines anyway
JWT_SHAPE = re.compile(r"([A-Za-z0-9_-]{1,1024})\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp"]
# Roles and purposes are identifiers; anything else is repeated in no message.
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

Name = Annotated[str, Field(pattern=f"^{NAME.pattern}$", max_length=64)]
PositiveId = Annotated[int, Field(ge=1, le=2**63 - 1)]


@dataclass(frozen=True)
class EndUser:
    """A verified end user: the principal to act as, and what the audit record needs beside it."""

    principal: Principal
    app: str
    subject: str
    issuer: str
    token_id: str | None
    expires_at: int


class _Attributes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    region: str | None = Field(default=None, min_length=1, max_length=64)
    employee_id: PositiveId | None = None
    assigned_cases: list[PositiveId] | None = Field(default=None, max_length=1000)


class _UserClaims(BaseModel):
    # Registered claims were checked by PyJWT; claims the proxy does not use are ignored.
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    sub: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
    exp: float
    iat: float | None = None
    jti: str | None = Field(default=None, min_length=1, max_length=128)
    roles: list[Name] = Field(min_length=1, max_length=32)
    purposes: list[Name] = Field(min_length=1, max_length=32)
    default_purpose: Name | None = None
    attributes: _Attributes = _Attributes()


_CLAIM_NAMES = set(_UserClaims.model_fields) | set(_Attributes.model_fields)

# PyJWT's errors, most specific first, as reasons fit for a client (no values in them).
_REASONS: tuple[tuple[type[jwt_errors.PyJWTError], str], ...] = (
    (jwt_errors.ExpiredSignatureError, "the token has expired"),
    (jwt_errors.ImmatureSignatureError, "the token is not valid yet"),
    (jwt_errors.InvalidAudienceError, "the token is meant for another audience"),
    (jwt_errors.InvalidIssuerError, "issuer not trusted"),
    (jwt_errors.InvalidAlgorithmError, "the token's algorithm is not allowed for its issuer"),
    (jwt_errors.InvalidSignatureError, "the token's signature is not valid"),
    (jwt_errors.InvalidIssuedAtError, "the token's 'iat' claim is not valid"),
    (jwt_errors.InvalidSubjectError, "the token's 'sub' claim is not valid"),
    (jwt_errors.InvalidJTIError, "the token's 'jti' claim is not valid"),
    (jwt_errors.DecodeError, "the token is malformed"),
)


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments whose first is a JSON header naming `alg`: not an API key."""
    match = JWT_SHAPE.fullmatch(token)
    header = _segment_json(match.group(1)) if match else None
    return isinstance(header, dict) and "alg" in header


class JwtVerifier:
    """Verifies end users' tokens against the trusted issuers; built once at start."""

    def __init__(self, issuers: Iterable[TrustedIssuer]) -> None:
        self._issuers = {issuer.issuer: issuer for issuer in issuers}

    @classmethod
    def from_file(cls, path: Path, principals: PrincipalDirectory) -> JwtVerifier:
        return cls(load_trusted_issuers(path, principals))

    @property
    def issuers(self) -> tuple[str, ...]:
        return tuple(self._issuers)

    @property
    def allows_hs256(self) -> bool:
        return any("HS256" in issuer.algorithms for issuer in self._issuers.values())

    def verify(self, token: str) -> EndUser:
        """The end user this token vouches for; AuthenticationFailed saying why if none."""
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationFailed("the token is too long")
        issuer = self._issuer_of(token)
        claims = _user_claims(_decoded(token, issuer))
        _check_lifetime(claims, issuer)
        return EndUser(
            principal=_principal(claims, issuer.app),
            app=issuer.app.name,
            subject=claims.sub,
            issuer=issuer.issuer,
            token_id=claims.jti,
            expires_at=int(claims.exp),
        )

    def _issuer_of(self, token: str) -> TrustedIssuer:
        if not self._issuers:
            raise AuthenticationFailed("this proxy trusts no token issuers")
        parts = token.split(".")
        payload = _segment_json(parts[1]) if len(parts) == 3 else None
        if not isinstance(payload, dict):
            raise AuthenticationFailed("the token is malformed")
        named = payload.get("iss")
        if not isinstance(named, str):
            raise AuthenticationFailed("the token names no issuer")
        issuer = self._issuers.get(named)
        if issuer is None:
            raise AuthenticationFailed("issuer not trusted")
        return issuer


def _segment_json(segment: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None


def _decoded(token: str, issuer: TrustedIssuer) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            issuer.key,
            algorithms=list(issuer.algorithms),
            audience=issuer.audience,
            issuer=issuer.issuer,
            leeway=issuer.leeway_s,
            options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
        )
    except jwt_errors.MissingRequiredClaimError as exc:
        raise AuthenticationFailed(f"the token lacks the '{exc.claim}' claim") from None
    except jwt_errors.PyJWTError as exc:
        reason = next((r for kind, r in _REASONS if isinstance(exc, kind)), None)
        raise AuthenticationFailed(reason or "the token is not valid") from None


def _user_claims(payload: dict[str, Any]) -> _UserClaims:
    try:
        return _UserClaims.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        names = [str(part) for part in first["loc"] if str(part) in _CLAIM_NAMES]
        claim = ".".join(names) or "attributes"
        if first["type"] == "extra_forbidden":
            raise AuthenticationFailed(
                f"the token's '{claim}' claim holds an attribute the proxy does not know"
            ) from None
        if first["type"] == "missing":
            raise AuthenticationFailed(f"the token lacks the '{claim}' claim") from None
        raise AuthenticationFailed(f"the token's '{claim}' claim is not valid") from None


def _check_lifetime(claims: _UserClaims, issuer: TrustedIssuer) -> None:
    # A long-lived token cannot be taken back; the issuer's bound caps what a stolen one is worth.
    remaining = claims.exp - time.time()
    lifetime = claims.exp - claims.iat if claims.iat is not None else remaining
    if max(remaining, lifetime) > issuer.max_lifetime_s + issuer.leeway_s:
        raise AuthenticationFailed(
            f"the token lives longer than app '{issuer.app.name}' may grant "
            f"({issuer.max_lifetime_s} s)"
        )


def _principal(claims: _UserClaims, app: Principal) -> Principal:
    _within("role", claims.roles, app.roles, app.name)
    _within("purpose", claims.purposes, app.purposes, app.name)
    purposes = tuple(dict.fromkeys(claims.purposes))
    default = claims.default_purpose
    if default is not None and default not in purposes:
        raise AuthenticationFailed("the token's 'default_purpose' is not one of its 'purposes'")
    if default is None and app.default_purpose in purposes:
        default = app.default_purpose
    attributes = claims.attributes.model_dump(exclude_none=True)
    return Principal(
        name=f"{app.name}:{claims.sub}",
        roles=tuple(dict.fromkeys(claims.roles)),
        purposes=purposes,
        default_purpose=default,
        attributes=MappingProxyType(attributes),
    )


def _within(kind: str, granted: list[str], held: tuple[str, ...], app: str) -> None:
    """An app may pass on only what it holds itself."""
    for name in granted:
        if name not in held:
            raise AuthenticationFailed(f"{kind} '{name}' is not allowed for app '{app}'")
