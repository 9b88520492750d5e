"""Who is asking: service principals and the bearer tokens that identify them.

Principals live in `policies/principals.toml` (the demo's in `policies/demo/`), one table
each, with their roles, the purposes they may state (clause 4.4), a default purpose and the
attributes row filters will use (region, assigned cases). Only the SHA-256 of each token is
stored: API keys are long random strings, so a plain digest is enough and a leaked file gives no
usable credential. The comparison is constant-time. A principal that logs in through the
PostgreSQL door also carries a SCRAM verifier of its password (`scram_sha256`, see `scram.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from proxy.errors import AuthenticationFailed, ConfigError
from proxy.identity.scram import load_verifier
from proxy.pgwire.auth import ScramCredential

PRINCIPALS_FILE = "principals.toml"


@dataclass(frozen=True)
class Principal:
    name: str
    roles: tuple[str, ...]
    purposes: tuple[str, ...]
    default_purpose: str | None
    attributes: Mapping[str, str | int | list[int]] = field(default_factory=dict)


# who the audit trail names when a request's credentials were refused
UNAUTHENTICATED = Principal("(unauthenticated)", (), (), None)


class _PrincipalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: list[str] = Field(min_length=1)
    purposes: list[str] = Field(default_factory=list)
    default_purpose: str | None = None
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scram_sha256: str | None = None
    attributes: dict[str, str | int | list[int]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_is_allowed(self) -> _PrincipalEntry:
        if self.default_purpose is not None and self.default_purpose not in self.purposes:
            raise ValueError("default_purpose must be one of purposes")
        return self


def token_digest(token: str) -> str:
    # surrogateescape: a header with undecodable bytes still digests (and fails) instead of raising
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class PrincipalDirectory:
    """Maps bearer tokens to principals; built once from the policies folder."""

    def __init__(
        self,
        entries: Mapping[str, tuple[str, Principal]],
        credentials: Mapping[str, ScramCredential] | None = None,
    ) -> None:
        self._by_digest = {digest: p for digest, p in entries.values()}
        self.principals: Mapping[str, Principal] = MappingProxyType(
            {name: p for name, (_, p) in entries.items()}
        )
        self.digests: Mapping[str, str] = MappingProxyType(
            {name: digest for name, (digest, _) in entries.items()}
        )
        self._credentials = {n: c for n, c in (credentials or {}).items() if n in entries}

    @classmethod
    def from_policies(
        cls, policies_dir: Path, file: Path = Path(PRINCIPALS_FILE)
    ) -> PrincipalDirectory:
        return cls.from_file(policies_dir / file)

    @classmethod
    def from_file(cls, path: Path) -> PrincipalDirectory:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"principals file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"principals file {path} cannot be read: {exc}") from None
        parsed = {name: _parse_entry(path, name, body) for name, body in raw.items()}
        digests = [digest for digest, _, _ in parsed.values()]
        if len(set(digests)) != len(digests):
            raise ConfigError(f"principals file {path}: two principals share one token")
        return cls(
            {name: (digest, principal) for name, (digest, principal, _) in parsed.items()},
            {name: found for name, (_, _, found) in parsed.items() if found is not None},
        )

    def authenticate(self, token: str) -> Principal:
        digest = token_digest(token)
        for known, principal in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                return principal
        raise AuthenticationFailed("the bearer token is not valid")

    def scram_credential(self, name: str) -> ScramCredential | None:
        """The SCRAM credential of a principal; None if unknown or it may not log in by wire."""
        return self._credentials.get(name)


def _parse_entry(
    path: Path, name: str, body: object
) -> tuple[str, Principal, ScramCredential | None]:
    if not isinstance(body, dict):
        raise ConfigError(f"principals file {path}: '{name}' must be a [table]")
    try:
        entry = _PrincipalEntry.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(entry)"
        raise ConfigError(f"principals file {path}: {name}.{key}: {first['msg']}") from None
    principal = Principal(
        name=name,
        roles=tuple(entry.roles),
        purposes=tuple(entry.purposes),
        default_purpose=entry.default_purpose,
        attributes=MappingProxyType(dict(entry.attributes)),
    )
    return entry.token_sha256, principal, _credential(path, name, entry.scram_sha256)


def _credential(path: Path, name: str, verifier: str | None) -> ScramCredential | None:
    if verifier is None:
        return None
    try:
        return load_verifier(verifier)
    except ValueError as exc:
        raise ConfigError(f"principals file {path}: {name}.scram_sha256: {exc}") from None
