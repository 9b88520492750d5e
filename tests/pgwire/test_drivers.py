"""Real clients and a real server: libpq and asyncpg log in to the door's SCRAM server, and the
door's own startup encoder and upstream login log in to PostgreSQL.

The in-process server below is only the login half of a session, wired from the sans-I/O pieces
over asyncio streams; it is the shape the session loop will take.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import asyncpg
import psycopg
import pytest

from proxy.errors import ProxyError
from proxy.pgwire import backend
from proxy.pgwire.auth import (
    ScramCredential,
    ScramServerAuth,
    UpstreamLogin,
    derive_credential,
    parse_verifier,
)
from proxy.pgwire.messages import Frame, FrameReader, StartupFrameReader
from proxy.pgwire.startup import (
    StartupMessage,
    encode_startup_message,
    filter_parameters,
    parse_first_packet,
)

CREDENTIALS = {"alice": derive_credential("correct horse")}
AFTER_LOGIN = (
    backend.parameter_status("server_version", "15.0")
    + backend.parameter_status("client_encoding", "UTF8")
    + backend.parameter_status("integer_datetimes", "on")
    + backend.parameter_status("standard_conforming_strings", "on")
    + backend.backend_key_data(4242, b"\x00\x00\x10\x92")
    + backend.ready_for_query(b"I")
)


def _lookup(user: str) -> ScramCredential | None:
    return CREDENTIALS.get(user)


async def _first_packet(reader: asyncio.StreamReader) -> StartupMessage:
    framer, packet = StartupFrameReader(), None
    while packet is None:
        packet = framer.feed(await reader.read(1024))
    first = parse_first_packet(packet)
    assert isinstance(first, StartupMessage), "the clients are configured without TLS"
    return first


class FrameStream:
    """Frames read one at a time from a stream (a test helper; the session will own this)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader, self._framer = reader, FrameReader()
        self._pending: deque[Frame] = deque()

    async def next(self) -> Frame:
        while not self._pending:
            data = await self._reader.read(65536)
            assert data, "the peer closed the connection"
            self._pending.extend(self._framer.feed(data))
        return self._pending.popleft()


async def _login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    startup = await _first_packet(reader)
    filter_parameters(startup.parameters)
    auth, frames = ScramServerAuth(startup.user, _lookup), FrameStream(reader)
    writer.write(auth.start())
    try:
        while not auth.done:
            frame = await frames.next()
            writer.write(auth.feed(bytes(frame.payload)))
        writer.write(AFTER_LOGIN)
        assert (await frames.next()).kind == b"X"
    except ProxyError as error:
        writer.write(backend.error_for(error, fatal=True))
    finally:
        await writer.drain()
        writer.close()


@asynccontextmanager
async def login_server() -> AsyncIterator[int]:
    server = await asyncio.start_server(_login, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_libpq_logs_in_with_scram() -> None:
    async with login_server() as port:
        dsn = f"host=127.0.0.1 port={port} user=alice password='correct horse' sslmode=disable"
        conn = await psycopg.AsyncConnection.connect(dsn, gssencmode="disable")
        assert conn.info.parameter_status("server_version") == "15.0"
        await conn.close()


@pytest.mark.parametrize(
    ("user", "password"), [("alice", "wrong"), ("nobody", "x")], ids=["wrong", "unknown"]
)
async def test_libpq_sees_the_same_refusal(user: str, password: str) -> None:
    async with login_server() as port:
        dsn = f"host=127.0.0.1 port={port} user={user} password={password} sslmode=disable"
        with pytest.raises(psycopg.OperationalError) as caught:
            await psycopg.AsyncConnection.connect(dsn, gssencmode="disable")
    assert f'password authentication failed for user "{user}"' in str(caught.value)


async def test_asyncpg_logs_in_with_scram() -> None:
    async with login_server() as port:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user="alice", password="correct horse", ssl=False
        )
        assert conn.get_server_pid() == 4242
        await conn.close()


def _address(dsn: str) -> tuple[str, int, str]:
    parts = urlsplit(dsn)
    host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
    return host, parts.port or 5432, parts.path.lstrip("/") or "postgres"


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if host.startswith("/"):
        return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
    return await asyncio.open_connection(host, port)


async def _log_in(dsn: str, user: str, password: str) -> tuple[list[int], bytes]:
    """Log in with the door's own pieces; the authentication codes seen and the final status."""
    host, port, database = _address(dsn)
    reader, writer = await _open(host, port)
    login, frames, codes = UpstreamLogin(user, password), FrameStream(reader), []
    writer.write(encode_startup_message({"user": user, "database": database}))
    try:
        while True:
            frame = await frames.next()
            if frame.kind == b"E":
                raise AssertionError(backend.decode_fields(frame.payload).get("M"))
            if frame.kind == b"R":
                codes.append(backend.decode_authentication(frame.payload)[0])
                if (reply := login.feed(frame.payload)) is not None:
                    writer.write(reply)
            if frame.kind == b"Z":
                assert login.authenticated
                return codes, backend.decode_ready_for_query(frame.payload)
    finally:
        writer.close()


async def test_upstream_login_to_real_postgres(admin_dsn: str) -> None:
    role, password = f"pgwire_{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        codes, status = await _log_in(admin_dsn, role, password)
        verifier = await admin.fetchval(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role
        )
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()
    assert status == b"I"
    # a trusting pg_hba answers Ok at once; a password rule runs the whole SCRAM exchange
    assert codes in ([backend.AUTH_OK], [10, 11, 12, backend.AUTH_OK])
    # the server's own verifier is the credential the door derives, so the two can be shared
    stored = parse_verifier(verifier)
    assert derive_credential(password, salt=stored.salt, iterations=stored.iterations) == stored
