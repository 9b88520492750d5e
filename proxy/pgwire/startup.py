"""The first packet of a connection: classified, parsed strictly, and its parameters filtered.

The listener frames the untyped first packet with `StartupFrameReader` and hands its payload to
`parse_first_packet`. An SSLRequest or GSSENCRequest is answered with one byte, a CancelRequest is
mapped to the upstream session that owns it, and a StartupMessage starts authentication. Its
parameters never reach the upstream as sent: `filter_parameters` keeps a whitelist, because
`options=-c role=…` switches role at login and `replication` opens a walsender. The same module
encodes the startup packet of the proxy's own upstream login.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from proxy.pgwire.backend import negotiate_protocol_version
from proxy.pgwire.errors import FeatureNotSupported, InvalidAuthorization, ProtocolViolation
from proxy.pgwire.messages import INT32, LENGTH, PayloadReader, cstring

SSL_REQUEST_CODE = 80877103  # 1234.5679
GSSENC_REQUEST_CODE = 80877104  # 1234.5680
CANCEL_REQUEST_CODE = 80877102  # 1234.5678
PROTOCOL_MAJOR = 3
NEWEST_MINOR = 0  # the proxy speaks 3.0; later minors and `_pq_.` options are negotiated away
SSL_REFUSED, SSL_ACCEPTED, GSSENC_REFUSED = b"N", b"S", b"N"

KEPT_PARAMETERS = frozenset(
    {"user", "database", "application_name", "DateStyle", "TimeZone", "extra_float_digits"}
    | {"IntervalStyle"}
)
# spellings of UTF8 the server itself accepts; asyncpg sends `'utf-8'` with the quotes
UTF8_NAMES = frozenset({"utf8", "unicode"})


@dataclass(frozen=True, slots=True)
class SSLRequest:
    pass


@dataclass(frozen=True, slots=True)
class GSSENCRequest:
    pass


@dataclass(frozen=True, slots=True)
class CancelRequest:
    pid: int
    secret_key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class StartupMessage:
    minor: int
    parameters: Mapping[str, str]

    @property
    def user(self) -> str:
        return self.parameters["user"]

    @property
    def database(self) -> str:
        """The database asked for; the server defaults it to the user name."""
        return self.parameters.get("database") or self.user

    @property
    def protocol_options(self) -> tuple[str, ...]:
        return tuple(name for name in self.parameters if name.startswith("_pq_."))


FirstPacket = SSLRequest | GSSENCRequest | CancelRequest | StartupMessage


def parse_first_packet(payload: bytes) -> FirstPacket:
    """Classify the first packet's payload (what follows its length word)."""
    reader = PayloadReader(payload, "startup")
    code = reader.int32()
    if code == SSL_REQUEST_CODE:
        reader.end()
        return SSLRequest()
    if code == GSSENC_REQUEST_CODE:
        reader.end()
        return GSSENCRequest()
    if code == CANCEL_REQUEST_CODE:
        return _cancel_request(reader)
    major, minor = code >> 16, code & 0xFFFF
    if major != PROTOCOL_MAJOR:
        raise FeatureNotSupported(
            f"unsupported frontend protocol {major}.{minor}: the proxy supports 3.0"
        )
    return StartupMessage(minor, _parameters(reader))


def _cancel_request(reader: PayloadReader) -> CancelRequest:
    pid, key = reader.int32(), reader.rest()
    # 3.0 keys are 4 bytes; 3.2 allows up to 256
    if not 4 <= len(key) <= 256:
        raise reader.fail("cancel key must be 4 to 256 bytes long")
    return CancelRequest(pid, key)


def _parameters(reader: PayloadReader) -> Mapping[str, str]:
    parameters: dict[str, str] = {}
    while (name := reader.cstring()) != "":
        if name in parameters:
            raise reader.fail("a parameter is given twice")
        parameters[name] = reader.cstring()
    reader.end()
    if not parameters.get("user"):
        raise InvalidAuthorization("no PostgreSQL user name specified in startup packet")
    return MappingProxyType(parameters)


@dataclass(frozen=True, slots=True)
class FilteredParameters:
    """What may be sent upstream, and the names dropped (to log, never their values)."""

    kept: Mapping[str, str]
    dropped: tuple[str, ...]


def filter_parameters(parameters: Mapping[str, str]) -> FilteredParameters:
    """Whitelist the startup parameters; `client_encoding` is always UTF8 in the result."""
    if "replication" in parameters:
        raise InvalidAuthorization("replication connections are not allowed through the proxy")
    encoding = parameters.get("client_encoding")
    if encoding is not None and not is_utf8(encoding):
        raise FeatureNotSupported("only the UTF8 client encoding is supported")
    kept = {name: value for name, value in parameters.items() if name in KEPT_PARAMETERS}
    kept["client_encoding"] = "UTF8"
    dropped = tuple(n for n in parameters if n not in KEPT_PARAMETERS and n != "client_encoding")
    return FilteredParameters(MappingProxyType(kept), dropped)


def is_utf8(encoding: str) -> bool:
    """Whether an encoding name means UTF8, spelled the loose way the server accepts."""
    name = encoding.strip().strip("'\"").lower().replace("-", "").replace("_", "")
    return name in UTF8_NAMES


def protocol_negotiation(startup: StartupMessage) -> bytes | None:
    """The NegotiateProtocolVersion to send before authentication, or None if none is needed."""
    options = startup.protocol_options
    if startup.minor <= NEWEST_MINOR and not options:
        return None
    return negotiate_protocol_version(NEWEST_MINOR, options)


def encode_startup_message(parameters: Mapping[str, str], minor: int = NEWEST_MINOR) -> bytes:
    body = b"".join(cstring(name) + cstring(value) for name, value in parameters.items())
    return _packet(INT32.pack(PROTOCOL_MAJOR << 16 | minor) + body + b"\0")


def encode_ssl_request() -> bytes:
    return _packet(INT32.pack(SSL_REQUEST_CODE))


def encode_cancel_request(pid: int, secret_key: bytes) -> bytes:
    """A cancel for the upstream, sent on a fresh connection with the upstream's own key."""
    if not 4 <= len(secret_key) <= 256:
        raise ProtocolViolation("a cancel key must be 4 to 256 bytes long")
    return _packet(INT32.pack(CANCEL_REQUEST_CODE) + INT32.pack(pid) + secret_key)


def _packet(body: bytes) -> bytes:
    return LENGTH.pack(len(body) + 4) + body
