"""The proxy's raw upstream connection against real PostgreSQL, and the DSNs it understands.

A small in-process server stands in for an upstream that asks for a password, since the test
server trusts local logins.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from proxy.errors import ConfigError, ProxyError, UpstreamUnavailable
from proxy.pgwire import backend
from proxy.pgwire.dsn import UpstreamTarget, parse_dsn
from proxy.pgwire.frontend import Query
from proxy.pgwire.messages import FrameReader, StartupFrameReader
from proxy.pgwire.startup import StartupMessage, parse_first_packet
from proxy.pgwire.upstream import (
    UpstreamConnection,
    connect_upstream,
    run_simple,
    send_cancel,
)
from proxy.upstream.errors import UpstreamError

TIMEOUT_S = 10.0


async def _connect(dsn: str, database: str | None = None) -> UpstreamConnection:
    return await connect_upstream(parse_dsn(dsn), database, "palata-test", TIMEOUT_S)


# --- DSN parsing --------------------------------------------------------------------------------


def _target(
    host: str, port: int, user: str, database: str, password: str | None = None
) -> UpstreamTarget:
    return UpstreamTarget(host, port, user, database, password)


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        (
            "postgresql://alice:s3cret@db.example:6432/palata?sslmode=require",
            UpstreamTarget("db.example", 6432, "alice", "palata", "s3cret", "require"),
        ),
        ("postgres://alice@db", _target("db", 5432, "alice", "alice")),
        (
            "postgresql://alice:p%40ss%3Aw%2Fd%20x@h/d%C3%A9",
            _target("h", 5432, "alice", "dé", "p@ss:w/d x"),
        ),
        ("postgresql://a:b+c@h/d", _target("h", 5432, "a", "d", "b+c")),
        (
            "postgresql://postgres:@/postgres?host=/var/run/postgresql",
            _target("/var/run/postgresql", 5432, "postgres", "postgres"),
        ),
        (
            "postgresql://u@%2Ftmp%2FPG:5433/db",
            _target("/tmp/PG", 5433, "u", "db"),
        ),
        ("postgresql://u@[::1]:5433/db", _target("::1", 5433, "u", "db")),
        (
            "postgresql://h/db?user=u&password=p%26q&port=7000&sslmode=disable",
            UpstreamTarget("h", 7000, "u", "db", "p&q", "disable"),
        ),
        (
            "host=h port=6000 user=u password='a b\\'c' dbname=d",
            _target("h", 6000, "u", "d", "a b'c"),
        ),
        (
            "host = /run/pg user=u sslmode=verify-full sslrootcert=/etc/ca.pem",
            UpstreamTarget("/run/pg", 5432, "u", "u", None, "verify-full", "/etc/ca.pem"),
        ),
    ],
    ids=[
        "uri-all-parts",
        "postgres-scheme-defaults",
        "percent-encoded",
        "plus-is-not-space",
        "unix-socket-query-host",
        "unix-socket-encoded-host",
        "ipv6",
        "query-parameters",
        "keyword-value-quoted",
        "keyword-value-socket",
    ],
)
def test_parse_dsn(dsn: str, expected: UpstreamTarget) -> None:
    assert parse_dsn(dsn) == expected


@pytest.mark.parametrize(
    ("dsn", "problem"),
    [
        ("postgresql://h/db", "no user"),
        ("postgresql://u:s3cret@/db", "no host"),
        ("postgresql://u:s3cret@h:99999/db", "invalid port"),
        ("postgresql://u:s3cret@h:x/db", "invalid port"),
        ("postgresql://u:s3cret@h1,h2/db", "several hosts"),
        ("postgresql://u:s3cret@h/db?options=-c%20role%3Dx", "refuses: ['options']"),
        ("postgresql://u:s3cret@h/db?sslmode=sometimes", "unknown sslmode"),
        ("postgresql://u:s3cret%ff@h/db", "percent-encoding"),
        ("host=h user=u password=s3cret replication=1", "refuses: ['replication']"),
        ("host=h user", "neither"),
    ],
    ids=[
        "no-user",
        "no-host",
        "port-out-of-range",
        "port-not-a-number",
        "several-hosts",
        "options-refused",
        "bad-sslmode",
        "bad-percent-encoding",
        "keyword-replication",
        "keyword-garbage",
    ],
)
def test_parse_dsn_refuses(dsn: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_dsn(dsn)
    assert problem in caught.value.message
    assert "s3cret" not in caught.value.message


def test_target_repr_hides_the_password() -> None:
    target = parse_dsn("postgresql://u:s3cret@h/db")
    assert target.password == "s3cret"
    assert "s3cret" not in repr(target)
    assert target.socket_path is None
    assert parse_dsn("host=/run/pg/ port=6 user=u").socket_path == "/run/pg/.s.PGSQL.6"


# --- against the real server --------------------------------------------------------------------


async def test_login_reports_the_servers_settings(admin_dsn: str) -> None:
    async with await _connect(admin_dsn) as conn:
        assert conn.parameters["server_version"]
        assert conn.parameters["standard_conforming_strings"] == "on"
        assert conn.parameters["client_encoding"] == "UTF8"
        assert conn.parameters["application_name"] == "palata-test"
        assert conn.parameters["DateStyle"].startswith("ISO")
        assert conn.backend_pid is not None and conn.backend_pid > 0
        assert conn.backend_key is not None and len(conn.backend_key) >= 4
        assert conn.transaction_status == b"I"
        assert conn.backend_key.hex() not in repr(conn)
    assert conn.writer.is_closing()


async def test_run_simple(admin_dsn: str) -> None:
    async with await _connect(admin_dsn) as conn:
        result = await run_simple(conn, "SELECT 1, NULL; SELECT 'ü'")
        assert result.rows == [(b"1", None), ("ü".encode(),)]
        assert [tag.rows for tag in result.tags] == [1, 1]
        assert result.transaction_status == b"I"
        assert (await run_simple(conn, "BEGIN")).transaction_status == b"T"
        assert (await run_simple(conn, "ROLLBACK")).transaction_status == b"I"


@pytest.mark.parametrize(
    ("sql", "sqlstate", "message"),
    [
        ("SELECT * FROM no_such_table", "42P01", 'relation "no_such_table" does not exist'),
        ("SELECT 1/0", "22012", "a data exception occurred"),  # class 22 may quote values
        ("SET ROLE no_such_role", "22023", "a data exception occurred"),
        ("SELECT 1; SELEC 2", "42601", "syntax error"),
        ("COPY (SELECT 1) TO STDOUT; CREATE TEMP TABLE t (a int); COPY t FROM STDIN", "57014", ""),
    ],
    ids=["undefined-table", "division-by-zero", "unknown-role", "syntax", "copy-in-refused"],
)
async def test_run_simple_raises_the_sqlstate(
    admin_dsn: str, sql: str, sqlstate: str, message: str
) -> None:
    async with await _connect(admin_dsn) as conn:
        with pytest.raises(UpstreamError) as caught:
            await run_simple(conn, sql)
        assert caught.value.sqlstate == sqlstate
        assert message in caught.value.message
        # read up to ReadyForQuery, so the connection is still in step
        assert (await run_simple(conn, "SELECT 2")).rows == [(b"2",)]


async def test_setup_statements_change_the_session(admin_dsn: str) -> None:
    role = f"pgwire_{uuid.uuid4().hex[:8]}"
    async with await _connect(admin_dsn) as conn:
        await run_simple(conn, f"CREATE ROLE {role}")
        try:
            await run_simple(conn, f"SET ROLE {role}")
            assert (await run_simple(conn, "SELECT current_user")).rows == [(role.encode(),)]
            await run_simple(conn, "SET application_name = 'renamed'")
            assert conn.parameters["application_name"] == "renamed"
        finally:
            await run_simple(conn, f"RESET ROLE; DROP ROLE {role}")


async def test_password_login_to_the_real_server(admin_dsn: str) -> None:
    role, password = f"pgwire_{uuid.uuid4().hex[:8]}", "p@ss:/ " + uuid.uuid4().hex
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        base = parse_dsn(admin_dsn)
        target = UpstreamTarget(base.host, base.port, role, base.database, password, "disable")
        # the test server may trust the login; a password rule runs SCRAM; either must succeed
        async with await connect_upstream(target, None, "palata-test", TIMEOUT_S) as conn:
            assert conn.parameters["session_authorization"] == role
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


@pytest.mark.parametrize(
    ("database", "sqlstate", "message"),
    [("no_such_database_x", "3D000", 'database "no_such_database_x" does not exist')],
    ids=["unknown-database"],
)
async def test_login_refusal_keeps_the_sqlstate(
    admin_dsn: str, database: str, sqlstate: str, message: str
) -> None:
    with pytest.raises(UpstreamError) as caught:
        await _connect(admin_dsn, database)
    assert caught.value.sqlstate == sqlstate
    assert message in caught.value.message


@pytest.mark.parametrize(
    "dsn",
    ["postgresql://u@127.0.0.1:1/db", "postgresql://u@/db?host=/nonexistent-dir"],
    ids=["closed-port", "missing-socket"],
)
async def test_unreachable_server(dsn: str) -> None:
    with pytest.raises(UpstreamUnavailable, match="cannot connect") as caught:
        await _connect(dsn)
    assert caught.value.sqlstate == "08006"


async def test_cancel_stops_a_running_query(admin_dsn: str) -> None:
    target = parse_dsn(admin_dsn)
    async with await _connect(admin_dsn) as sleeper, await _connect(admin_dsn) as watcher:
        await sleeper.send(Query("SELECT pg_sleep(30)").encode())
        running = f"SELECT 1 FROM pg_stat_activity WHERE pid = {sleeper.backend_pid} AND "
        running += "state = 'active' AND wait_event = 'PgSleep'"
        async with asyncio.timeout(TIMEOUT_S):
            # the cancel must find the query running: a backend that is idle ignores it
            while True:
                if (await run_simple(watcher, running)).rows:
                    break
                await asyncio.sleep(0.05)
            assert sleeper.backend_pid is not None and sleeper.backend_key is not None
            await send_cancel(target, sleeper.backend_pid, sleeper.backend_key)
            kinds, fields = [], {}
            while (message := await sleeper.next_frame()).kind != b"Z":
                kinds.append(message.kind)
                if message.kind == b"E":
                    fields = backend.decode_fields(message.payload)
    assert fields["C"] == "57014"
    assert b"E" in kinds


# --- a password-asking upstream, in process -----------------------------------------------------

SERVER_PASSWORD = "correct horse"


async def _cleartext_upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Asks for a cleartext password; on a wrong one, answers with an error quoting it (a
    careless server), which the proxy must not pass on."""
    framer, packet = StartupFrameReader(), None
    while packet is None:
        packet = framer.feed(await reader.read(1024))
    startup = parse_first_packet(packet)
    assert isinstance(startup, StartupMessage)
    assert set(startup.parameters) == {
        "user",
        "database",
        "application_name",
        "client_encoding",
        "DateStyle",
    }
    writer.write(backend.authentication(backend.AUTH_CLEARTEXT))
    frames: list[bytes] = []
    reader_frames = FrameReader()
    while not frames:
        frames = [bytes(f.payload) for f in reader_frames.feed(await reader.read(1024))]
    given = frames[0].rstrip(b"\0").decode()
    if given == SERVER_PASSWORD:
        writer.write(backend.authentication_ok() + backend.parameter_status("server_version", "9"))
        writer.write(
            backend.backend_key_data(7, b"\x01\x02\x03\x04") + backend.ready_for_query(b"I")
        )
    else:
        writer.write(backend.error_response("FATAL", "28P01", f"password {given} is wrong"))
    await writer.drain()
    await reader.read()
    writer.close()


@asynccontextmanager
async def cleartext_upstream() -> AsyncIterator[int]:
    server = await asyncio.start_server(_cleartext_upstream, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    ("password", "sqlstate"),
    [(SERVER_PASSWORD, None), ("s3cret-guess", "28P01"), (None, "28000")],
    ids=["right-password", "wrong-password", "no-password"],
)
async def test_password_exchange(password: str | None, sqlstate: str | None) -> None:
    async with cleartext_upstream() as port:
        target = UpstreamTarget("127.0.0.1", port, "alice", "db", password, "disable")
        if sqlstate is None:
            async with await connect_upstream(target, None, "t", TIMEOUT_S) as conn:
                assert (conn.backend_pid, conn.backend_key) == (7, b"\x01\x02\x03\x04")
            return
        with pytest.raises(ProxyError) as caught:
            await connect_upstream(target, None, "t", TIMEOUT_S)
    assert caught.value.sqlstate == sqlstate
    assert "s3cret-guess" not in caught.value.message
