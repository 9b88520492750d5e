"""SCRAM verifiers of principals: what lets a principal log in through the PostgreSQL door.

A principal's `scram_sha256` holds a verifier in PostgreSQL's `rolpassword` form, made from its
password by `palata-proxy identity scram`; the proxy never sees the password until a client
proves it knows it (`proxy.pgwire.auth.ScramServerAuth`). Verifiers are checked here when the
principals file loads, within the bounds the SCRAM library enforces during a login, so a bad one
stops the start instead of failing each login. Errors say what is wrong, never the verifier.
"""

from __future__ import annotations

import hmac

from scramp import ScramException  # type: ignore[import-untyped]

from proxy.errors import ConfigError, ProxyError
from proxy.pgwire.auth import (
    DEFAULT_ITERATIONS,
    ScramCredential,
    derive_credential,
    format_verifier,
    parse_verifier,
)

# scramp refuses other counts and salts during a login; PostgreSQL itself makes 16-byte salts
MIN_ITERATIONS = DEFAULT_ITERATIONS
MAX_ITERATIONS = 10_000_000
MIN_SALT_BYTES = 12
KEY_BYTES = 32  # SHA-256
VERIFIER_FORM = "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>"


def load_verifier(text: str) -> ScramCredential:
    """The credential of a configured verifier; ValueError saying why not (without the text)."""
    try:
        credential = parse_verifier(text)
    except ProxyError:
        raise ValueError(f"not a SCRAM-SHA-256 verifier ({VERIFIER_FORM})") from None
    if not MIN_ITERATIONS <= credential.iterations <= MAX_ITERATIONS:
        raise ValueError(f"the iteration count must be {MIN_ITERATIONS} to {MAX_ITERATIONS}")
    if len(credential.salt) < MIN_SALT_BYTES:
        raise ValueError(f"the salt must be at least {MIN_SALT_BYTES} bytes")
    if len(credential.stored_key) != KEY_BYTES or len(credential.server_key) != KEY_BYTES:
        raise ValueError(f"the stored and server keys must be {KEY_BYTES} bytes each")
    return credential


def make_verifier(password: str, iterations: int = DEFAULT_ITERATIONS) -> str:
    """The `scram_sha256` value for a password, with a fresh random salt."""
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ConfigError(f"the iteration count must be {MIN_ITERATIONS} to {MAX_ITERATIONS}")
    if not password:
        raise ConfigError("the password is empty")
    try:
        return format_verifier(derive_credential(password, iterations=iterations))
    except ScramException:  # SASLprep refuses control and unassigned characters
        raise ConfigError("the password holds characters SCRAM (SASLprep) does not allow") from None


def verifies(credential: ScramCredential, password: str) -> bool:
    """Whether `password` is the one the credential was made from (slow, as a login is)."""
    try:
        derived = derive_credential(
            password, iterations=credential.iterations, salt=credential.salt
        )
    except ScramException:
        return False
    return hmac.compare_digest(derived.stored_key, credential.stored_key)
