"""Password authentication at both ends of the door, as sans-I/O state machines over scramp.

`ScramServerAuth` runs SCRAM-SHA-256 against a client after its StartupMessage: the session sends
what `start()` returns, then feeds each `p` payload to `feed()` and sends the answer, until `done`.
SCRAM cannot be relayed (it resists exactly that man in the middle), so `UpstreamLogin` logs the
proxy in upstream with its own credentials: it consumes the upstream's Authentication requests and
returns the `p` messages to send. Neither touches a socket; failures are project errors whose
messages never carry a password or say whether a user exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from scramp import ScramClient, ScramException, ScramMechanism  # type: ignore[import-untyped]
from scramp.utils import ServerError  # type: ignore[import-untyped]

from proxy.pgwire import backend
from proxy.pgwire.errors import (
    FeatureNotSupported,
    InvalidAuthorization,
    InvalidPassword,
    ProtocolViolation,
)
from proxy.pgwire.frontend import (
    decode_sasl_initial_response,
    encode_sasl_initial_response,
)
from proxy.pgwire.messages import cstring, frame

MECHANISM = "SCRAM-SHA-256"
DEFAULT_ITERATIONS = 4096  # the server's own scram_iterations default
# salts of unknown users derive from this, so they stay the same from one attempt to the next
_PROCESS_MOCK_SECRET = secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class ScramCredential:
    """What the proxy stores for a user instead of the password (as pg_authid does)."""

    salt: bytes = field(repr=False)
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)
    iterations: int = DEFAULT_ITERATIONS


CredentialLookup = Callable[[str], ScramCredential | None]


def derive_credential(
    password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> ScramCredential:
    """The stored credential for a password (for configuration; the slow step of SCRAM)."""
    made = ScramMechanism(MECHANISM).make_auth_info(password, iterations, salt)
    return ScramCredential(bytes(made[0]), bytes(made[1]), bytes(made[2]), int(made[3]))


def format_verifier(credential: ScramCredential) -> str:
    """The credential in PostgreSQL's `rolpassword` form, so the two can be copied across."""
    b64 = _b64encode
    c = credential
    return f"{MECHANISM}${c.iterations}:{b64(c.salt)}${b64(c.stored_key)}:{b64(c.server_key)}"


def parse_verifier(text: str) -> ScramCredential:
    """A credential from PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<stored>:<server>`."""
    try:
        mechanism, head, keys = text.split("$")
        iterations, salt = head.split(":")
        stored_key, server_key = keys.split(":")
        if mechanism != MECHANISM:
            raise ValueError
        decoded = [base64.b64decode(part, validate=True) for part in (salt, stored_key, server_key)]
        return ScramCredential(decoded[0], decoded[1], decoded[2], int(iterations))
    except ValueError:
        raise InvalidAuthorization("a stored SCRAM verifier is malformed") from None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _mock_credential(user: str, secret: bytes) -> ScramCredential:
    """A credential nobody can satisfy, stable per user name like the server's mock salt."""
    digest = hmac.new(secret, user.encode(), hashlib.sha256).digest()
    keys = hmac.new(secret, b"keys\0" + user.encode(), hashlib.sha512).digest()
    return ScramCredential(digest[:16], keys[:32], keys[32:])


class ScramServerAuth:
    """SCRAM-SHA-256 against one client, keyed by the StartupMessage user.

    The server ignores the user name inside the SCRAM exchange (libpq sends `n=`), so the
    credential is looked up once for the startup user. An unknown user gets a mock credential
    and walks the same path, so the exchange never reveals whether the user exists.
    """

    def __init__(
        self, user: str, lookup: CredentialLookup, *, mock_secret: bytes | None = None
    ) -> None:
        self.user = user
        found = lookup(user)
        self._known = found is not None
        self._credential = found or _mock_credential(user, mock_secret or _PROCESS_MOCK_SECRET)
        self._server = ScramMechanism(MECHANISM).make_server(self._auth_info)
        self._stage = "start"

    def _auth_info(self, _scram_user: str) -> tuple[bytes, bytes, bytes, int]:
        c = self._credential
        return c.salt, c.stored_key, c.server_key, c.iterations

    @property
    def done(self) -> bool:
        return self._stage == "done"

    def start(self) -> bytes:
        """The AuthenticationSASL request offering the one mechanism."""
        self._advance("start", "first")
        return backend.authentication_sasl([MECHANISM])

    def feed(self, payload: bytes) -> bytes:
        """The answer to a SASLInitialResponse or SASLResponse payload, in that order."""
        if self._stage == "first":
            return self._client_first(payload)
        if self._stage == "final":
            return self._client_final(payload)
        raise ProtocolViolation("unexpected SASL message")

    def _advance(self, expected: str, following: str) -> None:
        if self._stage != expected:
            raise ProtocolViolation("unexpected SASL message")
        self._stage = following

    def _client_first(self, payload: bytes) -> bytes:
        self._advance("first", "final")
        mechanism, data = decode_sasl_initial_response(payload)
        if mechanism != MECHANISM:
            raise ProtocolViolation("client selected an invalid SASL authentication mechanism")
        header, bare = _split_client_first(_scram_text(data))
        try:
            # scramp insists on a user name, which the server ignores; it gets a stand-in, and
            # then the bare message the client really sent, which its proof covers
            self._server.set_client_first(header + "n=*" + bare[bare.index(",") :])
            self._server.client_first_bare = bare
            server_first = str(self._server.get_server_first())
        except ScramException:
            raise ProtocolViolation("malformed SCRAM message") from None
        return backend.authentication_sasl_continue(server_first.encode())

    def _client_final(self, payload: bytes) -> bytes:
        self._advance("final", "failed")
        try:
            self._server.set_client_final(_scram_text(payload))
            server_final = str(self._server.get_server_final())
        except ScramException as exc:
            if exc.server_error == ServerError.INVALID_PROOF:
                raise InvalidPassword(self.user) from None
            raise ProtocolViolation("malformed SCRAM message") from None
        if not self._known:  # unreachable with a mock key nobody knows, kept as a last guard
            raise InvalidPassword(self.user)
        self._stage = "done"
        return (
            backend.authentication_sasl_final(server_final.encode()) + backend.authentication_ok()
        )


def _scram_text(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolViolation("malformed SCRAM message") from None


def _split_client_first(text: str) -> tuple[str, str]:
    """The GS2 header (`n,,` or `y,,`) and the bare message, which must start with `n=`."""
    parts = text.split(",", 2)
    if len(parts) != 3 or not parts[2].startswith("n=") or "," not in parts[2]:
        raise ProtocolViolation("malformed SCRAM message")
    return f"{parts[0]},{parts[1]},", parts[2]


class UpstreamLogin:
    """The proxy's own login to the upstream: Authentication payloads in, `p` messages out.

    SCRAM-SHA-256 is preferred; cleartext and MD5 are answered only because an upstream may ask.
    After SCRAM, AuthenticationOk is accepted only once the server proved it knows the password.
    """

    def __init__(self, user: str, password: str | None) -> None:
        self.user = user
        self._password = password
        self._scram: ScramClient | None = None
        self._server_verified = False
        self.authenticated = False

    def feed(self, payload: bytes | memoryview) -> bytes | None:
        """The message to send for one upstream Authentication request, or None."""
        code, data = backend.decode_authentication(payload)
        if code == backend.AUTH_OK:
            self._ok()
            return None
        if code == backend.AUTH_CLEARTEXT:
            return frame(b"p", cstring(self._need_password()))
        if code == backend.AUTH_MD5:
            return frame(b"p", cstring(md5_password(self.user, self._need_password(), data)))
        if code == backend.AUTH_SASL:
            return self._sasl_start(backend.decode_sasl_mechanisms(data))
        if code in (backend.AUTH_SASL_CONTINUE, backend.AUTH_SASL_FINAL):
            return self._sasl_step(code, _scram_text(data))
        raise FeatureNotSupported(f"the upstream asks for authentication method {code}")

    def _ok(self) -> None:
        if self._scram is not None and not self._server_verified:
            raise InvalidAuthorization("the upstream ended SCRAM without proving its identity")
        self.authenticated = True

    def _need_password(self) -> str:
        if self._password is None:
            raise InvalidAuthorization("the upstream asks for a password and none is configured")
        return self._password

    def _sasl_start(self, mechanisms: tuple[str, ...]) -> bytes:
        if MECHANISM not in mechanisms:
            raise FeatureNotSupported("the upstream offers no SASL mechanism the proxy supports")
        if self._scram is not None:
            raise ProtocolViolation("the upstream restarted SASL")
        self._scram = ScramClient([MECHANISM], self.user, self._need_password())
        first = str(self._scram.get_client_first())
        return encode_sasl_initial_response(MECHANISM, first.encode())

    def _sasl_step(self, code: int, message: str) -> bytes | None:
        if self._scram is None:
            raise ProtocolViolation("the upstream continued SASL before starting it")
        try:
            if code == backend.AUTH_SASL_CONTINUE:
                self._scram.set_server_first(message)
                return frame(b"p", str(self._scram.get_client_final()).encode())
            self._scram.set_server_final(message)
        except ScramException:
            raise InvalidAuthorization("the upstream failed SCRAM verification") from None
        self._server_verified = True
        return None


def md5_password(user: str, password: str, salt: bytes) -> str:
    """The MD5 answer: 'md5' + md5(md5(password + user) + salt), in hex."""
    if len(salt) != 4:
        raise ProtocolViolation("invalid AuthenticationMD5Password message")
    inner = hashlib.md5((password + user).encode()).hexdigest()
    return "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
