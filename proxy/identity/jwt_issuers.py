"""Trusted token issuers: which internal apps may vouch for end users, and with which keys.

Read once at start, beside `principals.toml`, and turned into the `JwtVerifier` of
`proxy.identity.jwt_tokens`; no request touches this file again. Each issuer is an internal app
that is also a service principal, and that principal's roles and purposes cap what the tokens it
signs may grant. Keys are parsed here and must fit their algorithms, so a key file that does not
parse, a weak key or a public key offered as an HMAC secret stops the start instead of failing
(or, worse, passing) logins later. HS256 shares one secret between app and proxy, so it is for
development only and needs an explicit flag.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from proxy.errors import ConfigError
from proxy.identity.principals import Principal, PrincipalDirectory

TOKEN_ISSUERS_FILE = "token_issuers.toml"
MIN_RSA_BITS = 2048
MIN_HS256_SECRET_CHARS = 32  # the SHA-256 block of RFC 7518 §3.2

Algorithm = Literal["RS256", "ES256", "HS256"]
VerificationKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | bytes


class IssuerEntry(BaseModel):
    """One `[[issuers]]` table as written in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: StrictStr = Field(min_length=1, max_length=256)
    audience: StrictStr = Field(min_length=1, max_length=256)
    algorithms: list[Algorithm] = Field(min_length=1, max_length=3)
    public_key_file: Path | None = None
    hs256_secret: SecretStr | None = Field(default=None, min_length=MIN_HS256_SECRET_CHARS)
    app_principal: StrictStr = Field(min_length=1, max_length=64)
    max_lifetime_s: StrictInt = Field(default=900, ge=1, le=86_400)
    leeway_s: StrictInt = Field(default=30, ge=0, le=300)

    @model_validator(mode="after")
    def _one_key_that_fits(self) -> IssuerEntry:
        if (self.public_key_file is None) == (self.hs256_secret is None):
            raise ValueError("give exactly one of public_key_file and hs256_secret")
        if self.hs256_secret is not None and set(self.algorithms) != {"HS256"}:
            raise ValueError('hs256_secret goes with algorithms = ["HS256"] only')
        if self.public_key_file is not None and "HS256" in self.algorithms:
            # the key-confusion attack: a public key must never double as an HMAC secret
            raise ValueError("HS256 takes hs256_secret, never a public key")
        return self


class IssuersFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_hs256_for_development: StrictBool = False
    issuers: list[IssuerEntry] = Field(default_factory=list, max_length=64)


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer ready for verification: its key parsed and its app principal found."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    key: VerificationKey = field(repr=False)
    app: Principal
    max_lifetime_s: int
    leeway_s: int


def load_trusted_issuers(path: Path, principals: PrincipalDirectory) -> tuple[TrustedIssuer, ...]:
    """Read and check the issuers file; raise ConfigError naming the file and the key."""
    parsed = _parse(path, _read_toml(path))
    hs256 = [i for i, entry in enumerate(parsed.issuers) if entry.hs256_secret is not None]
    if hs256 and not parsed.allow_hs256_for_development:
        raise ConfigError(
            f"token issuers file {path}: issuers[{hs256[0]}].hs256_secret: HS256 is for "
            "development only; set allow_hs256_for_development = true to use it"
        )
    issuers = tuple(
        _trusted(path, f"issuers[{i}]", entry, principals.principals)
        for i, entry in enumerate(parsed.issuers)
    )
    names = [issuer.issuer for issuer in issuers]
    if len(set(names)) != len(names):
        raise ConfigError(f"token issuers file {path}: two issuers share one 'issuer'")
    return issuers


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"token issuers file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"token issuers file {path} cannot be read: {exc}") from None


def _parse(path: Path, raw: dict[str, object]) -> IssuersFile:
    try:
        return IssuersFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        ).lstrip(".")
        reason = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        reason = reason.removeprefix("Value error, ")
        raise ConfigError(f"token issuers file {path}: {key or '(top level)'}: {reason}") from None


def _trusted(
    path: Path, where: str, entry: IssuerEntry, principals: Mapping[str, Principal]
) -> TrustedIssuer:
    app = principals.get(entry.app_principal)
    if app is None:
        raise ConfigError(
            f"token issuers file {path}: {where}.app_principal: no principal "
            f"'{entry.app_principal}' in the principals file"
        )
    key: VerificationKey
    if entry.hs256_secret is not None:
        key = entry.hs256_secret.get_secret_value().encode("utf-8")
    else:
        assert entry.public_key_file is not None  # the model validator guarantees one key
        key_file = entry.public_key_file.expanduser()
        key_file = key_file if key_file.is_absolute() else path.parent / key_file
        key = _public_key(f"token issuers file {path}: {where}.public_key_file", key_file)
        _fits(f"token issuers file {path}: {where}.algorithms", key, entry.algorithms)
    return TrustedIssuer(
        issuer=entry.issuer,
        audience=entry.audience,
        algorithms=tuple(dict.fromkeys(entry.algorithms)),
        key=key,
        app=app,
        max_lifetime_s=entry.max_lifetime_s,
        leeway_s=entry.leeway_s,
    )


def _public_key(where: str, key_file: Path) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    try:
        pem = key_file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{where}: {key_file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{where}: {key_file} cannot be read: {exc.strerror}") from None
    if b"PRIVATE KEY" in pem:
        raise ConfigError(f"{where}: {key_file} holds a private key; give the proxy the public key")
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigError(
            f"{where}: {key_file} is not a PEM public key (-----BEGIN PUBLIC KEY-----)"
        ) from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ConfigError(f"{where}: the RSA key in {key_file} must have {MIN_RSA_BITS}+ bits")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ConfigError(
        f"{where}: {key_file} holds a kind of key the proxy does not accept "
        f"(RSA of {MIN_RSA_BITS}+ bits for RS256, EC P-256 for ES256)"
    )


def _fits(
    where: str, key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey, algorithms: list[Algorithm]
) -> None:
    expected = "RS256" if isinstance(key, rsa.RSAPublicKey) else "ES256"
    if set(algorithms) != {expected}:
        raise ConfigError(f'{where}: the key is for {expected}: write algorithms = ["{expected}"]')
