"""Loading who may connect, for `serve` and `demo`: principals and trusted token issuers."""

from __future__ import annotations

from pathlib import Path

from proxy.config import Settings
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import PrincipalDirectory


def token_verifier(settings: Settings, principals: PrincipalDirectory) -> JwtVerifier:
    """The apps whose end-user JWTs are trusted; none unless `policies.token_issuers` is set."""
    path: Path | None = settings.policies.token_issuers
    return JwtVerifier.from_file(path, principals) if path is not None else JwtVerifier(())


def role_sets(principals: PrincipalDirectory) -> list[tuple[str, ...]]:
    """The role combinations principals hold (each needs a database role of its own)."""
    combined = {tuple(sorted(set(p.roles))) for p in principals.principals.values()}
    return sorted(roles for roles in combined if len(roles) > 1)
