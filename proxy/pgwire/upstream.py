"""The proxy's own connection to PostgreSQL for one wire session: socket, TLS, startup and login.

The wire door relays each client session to an upstream connection of its own, opened here with
the proxy's credentials (SCRAM cannot be relayed). `parse_dsn` turns the configured DSN into an
`UpstreamTarget`; `connect_upstream` opens the socket, negotiates TLS per `sslmode`, sends a
StartupMessage holding only the parameters the proxy chooses (never a client's `options`), runs
`UpstreamLogin` and collects ParameterStatus and BackendKeyData until ReadyForQuery.
`run_simple` runs the session's setup statements (`SET ROLE`), and `send_cancel` delivers a
CancelRequest the way the server expects it: on a fresh connection, with no reply. Socket and
login failures become `UpstreamUnavailable`; an ErrorResponse keeps the server's SQLSTATE.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from proxy.errors import ProxyError, UpstreamUnavailable
from proxy.pgwire import backend
from proxy.pgwire.auth import UpstreamLogin
from proxy.pgwire.dsn import UpstreamTarget
from proxy.pgwire.errors import ProtocolViolation
from proxy.pgwire.frontend import Query
from proxy.pgwire.messages import Frame, FrameReader, cstring, frame
from proxy.pgwire.startup import encode_cancel_request, encode_ssl_request, encode_startup_message
from proxy.upstream.errors import UpstreamError, scrubbed_message, status_for

TERMINATE = frame(b"X")


class UpstreamConnection:
    """One logged-in upstream connection: its streams, the server's settings and cancel key.

    Frames are read through `next_frame`, which keeps the framer's state; whoever relays the
    session reads through it too, so no byte is read around it.
    """

    def __init__(
        self, target: UpstreamTarget, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.target, self.reader, self.writer = target, reader, writer
        self.parameters: dict[str, str] = {}
        self.backend_pid: int | None = None
        self.backend_key: bytes | None = None  # kept out of logs: it can cancel queries
        self.transaction_status = b"I"
        self._framer, self._pending = FrameReader(), deque[Frame]()

    def __repr__(self) -> str:
        return f"<UpstreamConnection {self.target.address} pid={self.backend_pid}>"

    async def next_frame(self) -> Frame:
        while not self._pending:
            data = await self.reader.read(65536)
            if not data:
                raise UpstreamUnavailable("the upstream database closed the connection")
            self._pending.extend(self._framer.feed(data))
        return self._pending.popleft()

    @property
    def frames_waiting(self) -> bool:
        """Whether frames already read are waiting (the next `next_frame` will not block)."""
        return bool(self._pending)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def close(self) -> None:
        """Send Terminate (best effort) and close the socket; safe to call twice."""
        if self.writer.is_closing():
            return
        try:
            self.writer.write(TERMINATE)
            self.writer.close()
            await self.writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass  # the server may have gone already; the socket is closed either way

    async def __aenter__(self) -> UpstreamConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def connect_upstream(
    target: UpstreamTarget, database: str | None, application_name: str, timeout_s: float
) -> UpstreamConnection:
    """A logged-in connection to `database` (the DSN's when None), ready for a query."""
    parameters = {
        "user": target.user,
        "database": database or target.database,
        "application_name": application_name,
        "client_encoding": "UTF8",
        "DateStyle": "ISO",
    }
    try:
        async with asyncio.timeout(timeout_s):
            conn = UpstreamConnection(target, *await _open(target))
            try:
                await conn.send(encode_startup_message(parameters))
                await _log_in(conn)
            except BaseException:
                conn.writer.close()
                raise
    except TimeoutError:
        raise UpstreamUnavailable(
            f"the upstream database {target.address} did not answer within {timeout_s} s"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        raise UpstreamUnavailable(
            f"cannot connect to the upstream database {target.address}: {_reason(exc)}"
        ) from None
    return conn


async def _log_in(conn: UpstreamConnection) -> None:
    login = UpstreamLogin(conn.target.user, conn.target.password)
    while True:
        message = await conn.next_frame()
        kind, payload = message.kind, message.payload
        if kind == b"E":
            raise _refusal(backend.decode_fields(payload), conn.target, "login")
        if kind == b"N":
            continue
        if kind == b"R" and not login.authenticated:
            if (reply := login.feed(payload)) is not None:
                await conn.send(reply)
        elif kind == b"S" and login.authenticated:
            name, value = backend.decode_parameter_status(payload)
            conn.parameters[name] = value
        elif kind == b"K" and login.authenticated:
            conn.backend_pid, conn.backend_key = backend.decode_backend_key_data(payload)
        elif kind == b"Z" and login.authenticated:
            conn.transaction_status = backend.decode_ready_for_query(payload)
            return
        else:
            raise ProtocolViolation(f"unexpected message type {kind!r} during the upstream login")


async def _open(target: UpstreamTarget) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams over a connected socket, TLS-wrapped when `sslmode` asks and the server agrees."""
    sock = await _connect_socket(target)
    try:
        context = await _negotiate_tls(sock, target)
        server_hostname = target.host if context is not None else None
        return await asyncio.open_connection(
            sock=sock, ssl=context, server_hostname=server_hostname
        )
    except BaseException:
        sock.close()
        raise


async def _connect_socket(target: UpstreamTarget) -> socket.socket:
    loop = asyncio.get_running_loop()
    addresses: Sequence[tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]]
    if target.socket_path is not None:
        addresses = [(socket.AF_UNIX, socket.SOCK_STREAM, 0, "", target.socket_path)]
    else:
        addresses = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    error: OSError = OSError("no address found")
    for family, kind, protocol, _, address in addresses:
        sock = socket.socket(family, kind, protocol)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error


async def _negotiate_tls(sock: socket.socket, target: UpstreamTarget) -> ssl.SSLContext | None:
    """The TLS context to wrap with, or None for plaintext.

    The answer is read from the socket itself, one byte: anything the server (or a man in the
    middle) sent after it stays in the kernel and reaches the TLS handshake, which rejects it,
    instead of being taken for a message after TLS (CVE-2021-23222). Unix sockets skip TLS, as
    libpq does; `allow` is treated as `disable` (the server is not retried with TLS).
    """
    if target.sslmode in ("disable", "allow") or target.socket_path is not None:
        return None
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(sock, encode_ssl_request())
    answer = await loop.sock_recv(sock, 1)
    if answer == b"S":
        return _tls_context(target)
    if answer == b"N" and target.sslmode == "prefer":
        return None
    if answer == b"N":
        raise UpstreamUnavailable(
            f"the upstream database {target.address} refuses TLS and sslmode={target.sslmode}"
        )
    raise UpstreamUnavailable(f"the upstream database {target.address} refused the SSLRequest")


def _tls_context(target: UpstreamTarget) -> ssl.SSLContext:
    """`prefer` and `require` encrypt without verifying (libpq's meaning, unless a root
    certificate is given, which makes `require` verify the chain as `verify-ca` does)."""
    if target.sslmode in ("prefer", "require") and target.sslrootcert is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=target.sslrootcert)
    context.check_hostname = target.sslmode == "verify-full"
    return context


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


def _refusal(fields: Mapping[str, str], target: UpstreamTarget, what: str) -> ProxyError:
    """An ErrorResponse as a project error with the server's SQLSTATE.

    Only the message is kept, never DETAIL or HINT; in the classes whose message can quote row
    values it is replaced by its class's generic one. The password is masked out as a last guard.
    """
    sqlstate = fields.get("C", "XX000")
    message = scrubbed_message(sqlstate, fields.get("M", "no message"))
    if target.password:
        message = message.replace(target.password, "***")
    refused = f"the upstream database refused the {what}: {message}"
    return UpstreamError(refused, sqlstate, status_for(sqlstate))


@dataclass(frozen=True, slots=True)
class SimpleResult:
    """What a simple Query returned, without its closing ReadyForQuery."""

    frames: tuple[Frame, ...] = field(repr=False)
    transaction_status: bytes

    @property
    def rows(self) -> list[tuple[bytes | None, ...]]:
        return [backend.decode_data_row(f.payload) for f in self.frames if f.kind == b"D"]

    @property
    def tags(self) -> list[backend.CommandTag]:
        return [backend.decode_command_complete(f.payload) for f in self.frames if f.kind == b"C"]


async def run_simple(conn: UpstreamConnection, sql: str) -> SimpleResult:
    """Run `sql` as one simple Query (for the session's own setup statements).

    Reads up to ReadyForQuery even after an error, so the connection stays in step; then raises
    the first ErrorResponse as an `UpstreamError` with its SQLSTATE. COPY FROM STDIN is refused
    with CopyFail, since there is nothing to send.
    """
    await conn.send(Query(sql).encode())
    frames: list[Frame] = []
    error: ProxyError | None = None
    while (message := await conn.next_frame()).kind != b"Z":
        frames.append(message)
        if message.kind == b"E" and error is None:
            error = _refusal(backend.decode_fields(message.payload), conn.target, "statement")
        elif message.kind == b"S":
            name, value = backend.decode_parameter_status(message.payload)
            conn.parameters[name] = value
        elif message.kind == b"G":
            await conn.send(frame(b"f", cstring("the proxy sends no COPY data here")))
    conn.transaction_status = backend.decode_ready_for_query(message.payload)
    if error is not None:
        raise error
    return SimpleResult(tuple(frames), conn.transaction_status)


async def send_cancel(
    target: UpstreamTarget, pid: int, secret_key: bytes, timeout_s: float = 5.0
) -> None:
    """Ask the server to cancel what backend `pid` runs, on a new connection.

    The server never replies; it closes the connection once it has acted, so waiting for the
    close (as libpq does) means the cancel was delivered, not that a query was running.
    """
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await _open(target)
            try:
                writer.write(encode_cancel_request(pid, secret_key))
                await writer.drain()
                await reader.read()
            finally:
                writer.close()
    except TimeoutError:
        raise UpstreamUnavailable(
            f"the upstream database {target.address} did not take the cancel request "
            f"within {timeout_s} s"
        ) from None
    except (OSError, ssl.SSLError) as exc:
        raise UpstreamUnavailable(
            f"cannot send a cancel request to {target.address}: {_reason(exc)}"
        ) from None
