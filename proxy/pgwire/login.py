"""A wire client's way in: the first packets, the principal's SCRAM login, the session purpose.

The first packet may ask for TLS (answered `S` and the stream upgraded when `pgwire.tls` is on,
`N` otherwise; anything sent ahead of the answer is refused, CVE-2021-23214), for GSSAPI
encryption (`N`), to cancel a
query (handed back to the caller) or start the session. The StartupMessage's user is the
principal; its password is checked by SCRAM-SHA-256 against the principal's verifier, never
passed on. `replication` is refused, `options` and unknown parameters are dropped (their names
logged) except the one option the proxy reads itself: `-c palata.purpose=<purpose>` states the
session's purpose (clause 4.4); without it the principal's default purpose applies.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from proxy.errors import AccessDenied, ConfigError, ProxyError
from proxy.identity.principals import Principal, PrincipalDirectory
from proxy.pgwire.auth import ScramServerAuth
from proxy.pgwire.errors import InvalidPassword, ProtocolViolation
from proxy.pgwire.frontend import PasswordPayload
from proxy.pgwire.messages import (
    DEFAULT_MAX_MESSAGE,
    MAX_LOGIN_MESSAGE,
    FrameReader,
    StartupFrameReader,
)
from proxy.pgwire.startup import (
    CancelRequest,
    GSSENCRequest,
    SSLRequest,
    StartupMessage,
    filter_parameters,
    parse_first_packet,
    protocol_negotiation,
)
from proxy.pipeline.purpose import resolve_purpose

log = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 30.0  # the server's own authentication_timeout is 60 s
MAX_FIRST_PACKETS = 3  # SSLRequest, GSSENCRequest, then the real one
PURPOSE_SETTING = "palata.purpose"


@dataclass(frozen=True)
class Login:
    principal: Principal
    purpose: str
    database: str
    settings: dict[str, str]  # startup parameters to apply upstream (DateStyle, TimeZone, ...)


class ClientStream:
    """The client's socket as the login reads it: the first packets, then typed frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        # small until the client has logged in: nobody unauthenticated makes the proxy hold
        # a 16 MiB message (`logged_in` lifts the limit)
        self.frames = FrameReader(max_message=MAX_LOGIN_MESSAGE)
        self.encrypted = False
        self._leftover = b""

    async def first_packet(self) -> bytes:
        packets = StartupFrameReader()
        while True:
            data = await self.reader.read(8192)
            if not data:
                raise ConnectionResetError("the client left before starting")
            payload = packets.feed(data)
            if payload is not None:
                self._leftover = packets.rest()
                return payload

    def logged_in(self) -> None:
        self.frames.allow(DEFAULT_MAX_MESSAGE)

    def leftover(self) -> bytes:
        rest, self._leftover = self._leftover, b""
        return rest

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


async def first_contact(
    client: ClientStream, tls: ssl.SSLContext | None, tls_required: bool
) -> StartupMessage | CancelRequest:
    """The StartupMessage, after TLS when the client asks for it and the door offers it
    (GSSAPI encryption is declined), or a CancelRequest."""
    for _ in range(MAX_FIRST_PACKETS):
        packet = parse_first_packet(await client.first_packet())
        if isinstance(packet, SSLRequest | GSSENCRequest):
            if client.leftover():  # sent ahead of the answer: CVE-2021-23214's stuffing
                raise ProtocolViolation("received unencrypted data after the encryption request")
            if isinstance(packet, SSLRequest) and tls is not None and not client.encrypted:
                await client.send(b"S")
                await client.writer.start_tls(tls)
                client.encrypted = True
            else:
                await client.send(b"N")
            continue
        if isinstance(packet, StartupMessage) and tls_required and not client.encrypted:
            raise TlsRequired("this door requires TLS: connect with sslmode=require")
        return packet
    raise ProtocolViolation("too many encryption requests")


class TlsRequired(ProxyError):
    sqlstate = "28000"  # invalid_authorization_specification, as pg_hba's hostssl answers


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    """The door's TLS context: the configured certificate, TLS 1.2 or newer."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"pgwire.tls_cert / tls_key cannot be loaded: {exc}") from None
    return context


async def log_in(
    client: ClientStream,
    startup: StartupMessage,
    principals: PrincipalDirectory,
    expected_database: str,
) -> Login:
    """Authenticate the startup's user as a principal, and settle the session's purpose."""
    parameters = startup.parameters
    filtered = filter_parameters(parameters)
    if filtered.dropped:
        log.info("wire login: startup parameters dropped: %s", ", ".join(sorted(filtered.dropped)))
    negotiation = protocol_negotiation(startup)
    if negotiation is not None:
        await client.send(negotiation)
    user = parameters["user"]
    await _authenticate(client, user, principals)
    client.logged_in()
    principal = principals.principals[user]
    database = parameters.get("database") or user
    if database != expected_database:
        raise UnknownDatabase(f'database "{database}" does not exist')
    stated = session_purpose(parameters)
    settings = {k: v for k, v in filtered.kept.items() if k not in ("user", "database")}
    return Login(principal, resolve_purpose(principal, stated), database, settings)


class UnknownDatabase(ProxyError):
    sqlstate = "3D000"  # invalid_catalog_name


async def _authenticate(client: ClientStream, user: str, principals: PrincipalDirectory) -> None:
    scram = ScramServerAuth(user, principals.scram_credential)
    await client.send(scram.start())
    pending = client.frames.feed(client.leftover())
    while not scram.done:
        while not pending:
            data = await client.reader.read(8192)
            if not data:
                raise ConnectionResetError("the client left during authentication")
            pending = client.frames.feed(data)
        frame = pending.pop(0)
        if frame.kind != PasswordPayload.kind:
            raise ProtocolViolation("expected a password message during authentication")
        await client.send(scram.feed(bytes(frame.payload)))  # the last answer ends with Ok
    if pending:
        raise ProtocolViolation("received data before authentication completed")
    if principals.scram_credential(user) is None:  # a mock credential cannot succeed; be sure
        raise InvalidPassword(user)


def session_purpose(parameters: Mapping[str, str]) -> str | None:
    """The purpose the client states: `palata.purpose` in the startup options, or as a startup
    parameter of its own (drivers' `server_settings`); stating it twice differently is refused."""
    stated = set(stated_purposes(parameters.get("options", "")))
    for name, value in parameters.items():
        if name.lower() == PURPOSE_SETTING:
            stated.add(value)
    if len(stated) > 1:
        raise AccessDenied("the purpose is stated more than once, differently: state it once")
    return stated.pop() if stated else None


def stated_purposes(options: str) -> list[str]:
    """Each value of `palata.purpose` in the startup `options`, read as the server reads them:
    words split at unescaped white space, a backslash escaping the next character, each
    setting as `-c name=value`, `-cname=value` or `--name=value`, names in any case."""
    found: list[str] = []
    words = _option_words(options)
    for i, word in enumerate(words):
        if word == "-c" and i + 1 < len(words):
            setting = words[i + 1]
        elif (word.startswith("-c") and word != "-c") or word.startswith("--"):
            setting = word[2:]
        else:
            continue
        name, equals, value = setting.partition("=")
        if equals and name.lower() == PURPOSE_SETTING:
            found.append(value)
    return found


def _option_words(options: str) -> list[str]:
    words: list[str] = []
    word: list[str] = []
    escaped = False
    for char in options:
        if escaped:
            word.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char.isspace():
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(char)
    if word:
        words.append("".join(word))
    return words
