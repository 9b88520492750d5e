"""Protocol-level attacks on the wire door of a real `palata-proxy serve` (red-team fixture):
raw messages built with the project's codecs, and psql, asyncpg and psycopg as real clients.

Each attack asserts what PostgreSQL clients must see (SQLSTATEs, the order of answers, the
transaction status) and that no unmasked value crossed the door; each ends by checking that
the door still serves a fresh connection. Research: pgwire_and_bypass.md §1.6.3, §1.6.4, §1.7.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import ssl
import struct
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import asyncpg
import psycopg
import pytest

from proxy.pgwire.backend import decode_data_row
from proxy.pgwire.frontend import Bind, Close, Describe, Execute, Parse, Query, Sync
from proxy.pgwire.messages import Frame, frame
from proxy.pgwire.startup import (
    encode_cancel_request,
    encode_ssl_request,
    encode_startup_message,
)
from tests.cli.process import post_json
from tests.redteam.conftest import COLLECTOR_REGION, RedteamProxy
from tests.redteam.corpus import SECRETS
from tests.redteam.wire_support import (
    DATABASE,
    RawWire,
    door_is_up,
    error_fields,
    errors,
    function_call,
    kinds,
    rows,
    status,
    tags,
)

ALLOWED = "SELECT id, iin FROM debtors WHERE id = 1"
DENIED = "SELECT salary FROM employees"
SLOW = "SELECT count(*) FROM generate_series(1, 40000000)"


async def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def iins(fixture_dsn: str) -> dict[int, str]:
    """Every debtor's and employee's real IIN, read past the proxy: none may cross the door."""
    found = asyncio.run(_fetch(fixture_dsn, "SELECT id, iin FROM debtors"))
    return {row["id"]: row["iin"] for row in found}


@pytest.fixture(scope="module")
def canaries(fixture_dsn: str, iins: dict[int, str]) -> list[bytes]:
    employees = asyncio.run(_fetch(fixture_dsn, "SELECT iin FROM employees WHERE iin IS NOT NULL"))
    return [iin.encode() for iin in [*iins.values(), *(r["iin"] for r in employees)]]


@pytest.fixture
def port(redteam_proxy: RedteamProxy) -> int:
    return redteam_proxy.pg_port


@pytest.fixture
def collector(port: int, wire_dsn: Callable[[str], str]) -> Iterator[RawWire]:
    """A raw session of the collector; the door must be up once the test is done with it."""
    with RawWire.login(port, "collector") as wire:
        yield wire
    assert door_is_up(wire_dsn("collector"))


def leaks(received: bytes | bytearray, canaries: list[bytes]) -> list[bytes]:
    return [c for c in canaries if c in received]


def assert_masked(value: str | None, real: str) -> None:
    assert value is not None and value != real and value.endswith(real[-4:]), value


def extended(sql: str, name: str = "", portal: str = "") -> bytes:
    """Parse, Bind and Execute of one statement (no Sync)."""
    return Parse(name, sql).encode() + Bind(portal, name).encode() + Execute(portal).encode()


# -- 1. FunctionCall ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def query_to_xml_oid(fixture_dsn: str) -> int:
    sql = "SELECT 'query_to_xml(text,boolean,boolean,text)'::regprocedure::oid AS oid"
    return int(asyncio.run(_fetch(fixture_dsn, sql))[0]["oid"])


@pytest.mark.parametrize("after_batch", [False, True], ids=["alone", "after-pipelined-batch"])
def test_function_call_is_refused(
    collector: RawWire, query_to_xml_oid: int, canaries: list[bytes], after_batch: bool
) -> None:
    call = function_call(query_to_xml_oid, [b"SELECT iin FROM debtors", b"t", b"f", b""])
    if after_batch:
        collector.send(extended(ALLOWED) + Sync().encode() + call)
        batch = collector.until_ready()
        assert kinds(batch) == b"12DCZ", batch
    else:
        collector.send(call)
    answer = collector.until_ready()
    assert kinds(answer) == b"EZ", answer
    assert error_fields(answer[0])["C"] == "42501"
    assert status(answer) == b"I"
    assert not leaks(collector.received, canaries)
    assert rows(collector.query("SELECT 1")) == [("1",)], "the session goes on"


# -- 2. replication, 7. TLS buffer stuffing -------------------------------------------------


@pytest.mark.parametrize("mode", ["database", "true", "on", "1"])
def test_replication_startup_is_fatal(port: int, wire_dsn: Callable[[str], str], mode: str) -> None:
    with RawWire.open(port) as wire:
        wire.send(
            encode_startup_message({"user": "collector", "database": DATABASE, "replication": mode})
        )
        answer = wire.until_closed()
    assert kinds(answer) == b"E", answer
    fields = error_fields(answer[0])
    assert fields["S"] == "FATAL" and fields["C"] == "28000", fields
    assert door_is_up(wire_dsn("collector"))


@pytest.mark.parametrize(
    "stuffed",
    [
        encode_startup_message({"user": "collector", "database": DATABASE}),
        frame(b"Q", b"SELECT iin FROM debtors\0"),
        b"\x00",
    ],
    ids=["startup-message", "query", "one-byte"],
)
def test_bytes_stuffed_after_ssl_request_are_refused(
    port: int, wire_dsn: Callable[[str], str], stuffed: bytes
) -> None:
    with RawWire.open(port) as wire:
        wire.send(encode_ssl_request() + stuffed)
        answer = wire.until_closed()
        raw = bytes(wire.received)
    assert not raw.startswith(b"N"), "the door answered the SSLRequest as if nothing followed it"
    assert b"SCRAM-SHA-256" not in raw, "the stuffed startup was processed"
    assert kinds(answer) == b"E", raw
    fields = error_fields(answer[0])
    assert fields["S"] == "FATAL" and fields["C"] == "08P01", fields
    assert door_is_up(wire_dsn("collector"))


def test_ssl_request_alone_gets_tls_and_the_login_goes_on_inside(port: int) -> None:
    """The fixture's door offers TLS: `S`, a TLS handshake, then the startup inside it."""
    with RawWire.open(port) as wire:
        wire.send(encode_ssl_request())
        assert wire.sock.recv(1) == b"S"
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # a test certificate
        with context.wrap_socket(wire.sock, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            tls.sendall(encode_startup_message({"user": "collector", "database": DATABASE}))
            assert tls.recv(1) == b"R", "authentication starts inside TLS"


@pytest.mark.parametrize("mode", ["require", "prefer"])
def test_clients_connect_over_tls(
    redteam_proxy: RedteamProxy, mode: str, wire_dsn: Callable[[str], str]
) -> None:
    """psql (libpq) over TLS: masked rows as in plaintext, and the session says it is TLS."""
    conninfo = (
        f"host=127.0.0.1 port={redteam_proxy.pg_port} user=collector dbname={DATABASE} "
        f"sslmode={mode}"
    )
    env = {**os.environ, "PGPASSWORD": SECRETS["collector"]}
    sql = "SELECT iin FROM debtors ORDER BY id LIMIT 1"
    done = subprocess.run(
        ["psql", conninfo, "-X", "-c", r"\conninfo", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "SSL connection" in done.stdout and "********" in done.stdout, done.stdout

    async def over_asyncpg() -> str:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = await asyncpg.connect(wire_dsn("collector"), ssl=context)
        try:
            return str(await conn.fetchval(sql))
        finally:
            await conn.close()

    assert asyncio.run(over_asyncpg()).startswith("********")


# -- 3. options=-c role=... -------------------------------------------------------------------


@pytest.fixture(scope="module")
def superuser(fixture_dsn: str) -> str:
    return str(asyncio.run(_fetch(fixture_dsn, "SELECT current_user AS u"))[0]["u"])


@pytest.mark.parametrize(
    "template",
    [
        "-c role={role}",
        "-crole={role}",
        "--role={role}",
        "-c session_authorization={role}",
        "-c palata.purpose=debt_collection -c role={role}",
    ],
    ids=["c-role", "c-role-joined", "double-dash-role", "session-authorization", "after-purpose"],
)
@pytest.mark.parametrize("target", ["superuser", "dpo-role"])
def test_startup_options_cannot_switch_role(
    wire_dsn: Callable[[str], str], superuser: str, role_prefix: str, template: str, target: str
) -> None:
    role = superuser if target == "superuser" else f"{role_prefix}dpo"
    options = {"options": template.format(role=role)}

    async def who() -> str:
        conn = await asyncpg.connect(wire_dsn("collector"), server_settings=options)
        try:
            return str(await conn.fetchval("SELECT current_user"))
        finally:
            await conn.close()

    current = asyncio.run(who())
    assert current != role
    assert current.endswith("_collector"), current
    assert door_is_up(wire_dsn("collector"))


# -- 4. a denied statement inside a pipeline ------------------------------------------------


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in-transaction"])
def test_denial_in_a_pipeline_skips_to_sync(
    collector: RawWire, iins: dict[int, str], in_transaction: bool
) -> None:
    if in_transaction:
        assert status(collector.query("BEGIN")) == b"T"
    collector.send(
        extended(ALLOWED)
        + extended(DENIED, name="s_denied")
        + extended("SELECT id FROM debtors WHERE id = 2")
        + Sync().encode()
    )
    answer = collector.until_ready()
    assert kinds(answer) == b"12DCEZ", answer
    assert rows(answer)[0][0] == "1"
    assert_masked(rows(answer)[0][1], iins[1])
    refused = error_fields(answer[4])
    assert refused["C"] == "42501", refused
    assert refused.get("D", "").startswith("audit record "), refused
    assert status(answer) == (b"E" if in_transaction else b"I")
    commit = collector.query("COMMIT")
    if in_transaction:
        assert tags(commit) == ["ROLLBACK"], commit
    assert status(commit) == b"I"
    assert rows(collector.query("SELECT 1")) == [("1",)]


# -- 5. statement-name games ------------------------------------------------------------------


def test_reparse_of_a_named_statement_is_refused(collector: RawWire, iins: dict[int, str]) -> None:
    collector.send(Parse("S1", ALLOWED).encode() + Sync().encode())
    assert kinds(collector.until_ready()) == b"1Z"
    collector.send(Parse("S1", DENIED).encode() + Sync().encode())
    answer = collector.until_ready()
    assert kinds(answer) == b"EZ", answer
    assert error_fields(answer[0])["C"] in ("42P05", "42501")
    collector.send(Bind("", "S1").encode() + Execute("").encode() + Sync().encode())
    result = collector.until_ready()
    assert kinds(result) == b"2DCZ", result
    assert rows(result)[0][0] == "1"
    assert_masked(rows(result)[0][1], iins[1])


def test_reparse_in_the_same_batch_is_refused(collector: RawWire, iins: dict[int, str]) -> None:
    collector.send(
        Parse("S2", ALLOWED).encode()
        + Parse("S2", DENIED).encode()
        + Bind("", "S2").encode()
        + Execute("").encode()
        + Sync().encode()
    )
    answer = collector.until_ready()
    assert kinds(answer) == b"1EZ", answer
    assert error_fields(answer[1])["C"] in ("42P05", "42501")
    collector.send(Bind("", "S2").encode() + Execute("").encode() + Sync().encode())
    result = collector.until_ready()
    assert kinds(result) == b"2DCZ", result
    assert_masked(rows(result)[0][1], iins[1])


def test_close_then_malicious_parse_leaves_nothing_to_bind(collector: RawWire) -> None:
    collector.send(Parse("S3", ALLOWED).encode() + Sync().encode())
    assert kinds(collector.until_ready()) == b"1Z"
    collector.send(Close("S", "S3").encode() + Parse("S3", DENIED).encode() + Sync().encode())
    answer = collector.until_ready()
    assert kinds(answer) == b"3EZ", answer
    assert error_fields(answer[1])["C"] == "42501"
    collector.send(Bind("", "S3").encode() + Execute("").encode() + Sync().encode())
    result = collector.until_ready()
    assert kinds(result) == b"EZ", result
    assert error_fields(result[0])["C"] == "26000"  # invalid_sql_statement_name


# -- 6. cursors ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collector_debtors(fixture_dsn: str) -> int:
    """How many debtors the collector's row filter lets it see (its region's)."""
    sql = "SELECT count(*) AS n FROM debtors WHERE region = $1"
    return int(asyncio.run(_fetch(fixture_dsn, sql, COLLECTOR_REGION))[0]["n"])


@pytest.mark.parametrize(
    "declare",
    [
        "DECLARE c CURSOR FOR SELECT iin FROM debtors",
        "DECLARE c BINARY CURSOR FOR SELECT iin FROM debtors",
        "DECLARE c SCROLL CURSOR FOR SELECT iin, full_name, notes FROM debtors",
        "DECLARE c CURSOR WITH HOLD FOR SELECT iin FROM debtors",
    ],
    ids=["plain", "binary", "scroll", "with-hold"],
)
def test_cursor_over_debtors_never_returns_a_real_iin(
    collector: RawWire, canaries: list[bytes], collector_debtors: int, declare: str
) -> None:
    assert status(collector.query("BEGIN")) == b"T"
    declared = collector.query(declare)
    if errors(declared):
        assert errors(declared)[0]["C"] == "42501", declared
        collector.query("ROLLBACK")
        return
    assert tags(declared) == ["DECLARE CURSOR"], declared
    collector.send(Describe("P", "c").encode() + Execute("c", 3).encode() + Sync().encode())
    described = collector.until_ready()
    assert kinds(described) == b"TDDDsZ", described
    fetched = collector.query("FETCH ALL FROM c")
    collector.query("COMMIT")
    got = rows(described) + rows(fetched)
    assert len(got) == collector_debtors, "the row filter holds for a cursor too"
    assert all(row[0] is not None and row[0].startswith("*") for row in got), got[:3]
    assert all(v is None for row in got for v in row[1:2]), "full_name is withheld"
    assert not leaks(collector.received, canaries)


# -- 8. cancel requests ---------------------------------------------------------------------


def cancel(port: int, pid: int, key: bytes) -> bytes:
    """Send a CancelRequest on a fresh connection; the door answers nothing and closes."""
    with RawWire.open(port) as wire:
        wire.send(encode_cancel_request(pid, key))
        return wire.quiet_for(5.0)


def test_slow_statement_is_allowed(wire_dsn: Callable[[str], str]) -> None:
    """The cancel tests below need a statement that runs for a while."""
    assert asyncio.run(_fetch(wire_dsn("collector"), SLOW))[0][0] == 40000000


@pytest.mark.parametrize("wrong", ["key", "pid", "both"])
def test_cancel_with_a_wrong_key_is_ignored(collector: RawWire, port: int, wrong: str) -> None:
    assert collector.backend_key is not None
    pid, key = collector.backend_key
    if wrong in ("key", "both"):
        key = bytes(b ^ 0xFF for b in key)
    if wrong in ("pid", "both"):
        pid = pid % 2_000_000_000 + 1
    collector.send(Query(SLOW).encode())
    assert cancel(port, pid, key) == b"", "a CancelRequest is never answered"
    answer = collector.until_ready()
    assert not errors(answer), errors(answer)
    assert rows(answer) == [("40000000",)]


def test_cancel_with_the_right_key_cancels(collector: RawWire, port: int) -> None:
    """The control: the same request with the key the door gave does cancel."""
    assert collector.backend_key is not None
    collector.send(Query(SLOW).encode())
    assert cancel(port, *collector.backend_key) == b""
    answer = collector.until_ready()
    assert [e["C"] for e in errors(answer)] == ["57014"], answer
    assert rows(collector.query("SELECT 1")) == [("1",)]


def test_random_cancel_requests_break_nothing(port: int, wire_dsn: Callable[[str], str]) -> None:
    for _ in range(5):
        assert cancel(port, secrets.randbelow(2**31 - 1) + 1, secrets.token_bytes(4)) == b""
    assert door_is_up(wire_dsn("collector"))


# -- 9. a deeply nested expression --------------------------------------------------------


DEEP = "SELECT " + "+".join(["1"] * 30_000)


@pytest.mark.parametrize(
    "message",
    [Query(DEEP).encode(), Parse("", DEEP).encode() + Sync().encode()],
    ids=["query", "parse"],
)
def test_deep_expression_is_refused_cleanly(
    port: int, wire_dsn: Callable[[str], str], message: bytes
) -> None:
    with RawWire.login(port, "collector") as wire:
        wire.send(message)
        answer = wire.until_ready()
        refused = errors(answer)
        assert len(refused) == 1 and len(refused[0]["C"]) == 5, answer
        assert refused[0]["C"] in ("54001", "42501", "54000", "42601"), refused
        assert rows(wire.query("SELECT 1")) == [("1",)], "the session goes on"
    assert door_is_up(wire_dsn("collector"))


# -- 10. malformed messages -----------------------------------------------------------------


MALFORMED = [
    ("length-below-4", b"Q\x00\x00\x00\x03"),
    ("length-2GB", b"Q\x7f\xff\xff\xf0SELECT 1\0"),
    ("unknown-type", frame(b"?", b"SELECT 1\0")),
    ("parse-missing-nul", frame(b"P", b"S9\0SELECT 1")),
    ("query-invalid-utf8", frame(b"Q", b"SELECT '\xff\xfe'\0")),
    ("query-trailing-bytes", frame(b"Q", b"SELECT 1\0junk")),
    ("bind-bad-param-count", frame(b"B", b"\0\0\x00\x00\x00\x05\x00\x00")),
]


@pytest.mark.parametrize("message", [m for _, m in MALFORMED], ids=[i for i, _ in MALFORMED])
def test_malformed_message_is_a_protocol_violation(
    port: int, wire_dsn: Callable[[str], str], message: bytes
) -> None:
    with RawWire.login(port, "collector") as wire:
        wire.send(message)
        answer = wire.until_closed()
    assert kinds(answer) == b"E", answer
    fields = error_fields(answer[0])
    assert fields["S"] == "FATAL" and fields["C"] == "08P01", fields
    assert door_is_up(wire_dsn("collector"))


# -- 11. psql ----------------------------------------------------------------------------------


def psql(port: int, command: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("psql")
    assert binary is not None, "psql must be on PATH"
    env = {**os.environ, "PGPASSWORD": SECRETS["collector"], "PGCONNECT_TIMEOUT": "10"}
    env.pop("PGOPTIONS", None)
    conninfo = f"host=127.0.0.1 port={port} user=collector dbname={DATABASE}"
    return subprocess.run(
        [binary, conninfo, "-X", "-v", "ON_ERROR_STOP=1", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_psql_select_shows_masked_iins(
    port: int, iins: dict[int, str], wire_dsn: Callable[[str], str]
) -> None:
    done = psql(port, "SELECT id, iin FROM debtors ORDER BY id LIMIT 2")
    assert done.returncode == 0, done.stderr
    for debtor in (1, 2):
        assert iins[debtor] not in done.stdout
        assert iins[debtor][-4:] in done.stdout
    assert "(2 rows)" in done.stdout
    assert door_is_up(wire_dsn("collector"))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        pytest.param(r"\d debtors", ["iin", "character(12)", "debtors_pkey"], id="describe"),
        pytest.param(r"\dt", ["debtors", "payments"], id="tables"),
        pytest.param(r"\dn", ["public"], id="schemas"),
    ],
)
def test_psql_describes_permitted_tables(
    port: int, wire_dsn: Callable[[str], str], command: str, expected: list[str]
) -> None:
    """psql's backslash commands read the system catalogue's metadata, which the fixture's
    policy grants; no row of a table comes with it."""
    done = psql(port, command)
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout, done.stdout
    assert door_is_up(wire_dsn("collector"))


def test_statistics_stay_denied(port: int) -> None:
    """pg_stats holds column values (most common values, histograms): no policy line grants it."""
    done = psql(port, "SELECT most_common_vals FROM pg_stats WHERE tablename = 'debtors'")
    assert done.returncode == 1 and "42501" not in done.stdout
    assert "ERROR:" in done.stderr and "pg_stats" in done.stderr, done.stderr


# -- 12. audit ---------------------------------------------------------------------------------


# (statement, its text as the audit keeps it): `id` is a subject key shown to the client, so
# the door reads subjects from the client's own column, in the format the client asked for
AUDITED = [
    (
        "SELECT id, full_name FROM debtors WHERE id = 3",
        "SELECT id, full_name FROM debtors WHERE id = $1",
    ),
    (
        "SELECT DISTINCT id FROM debtors WHERE id = 3",
        "SELECT DISTINCT id FROM debtors WHERE id = $1",
    ),
]
RECORD = (
    "SELECT id, door, principal, outcome, sqlstate, subjects, subject_count"
    " FROM palata_audit.records WHERE id = $1"
)


async def asyncpg_audited(dsn: str, sql: str) -> str:
    """Run `sql` and DENIED through asyncpg (binary results); the refusal's audit id."""
    conn = await asyncpg.connect(dsn)
    try:
        assert len(await conn.fetch(sql)) == 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError) as refused:
            await conn.fetch(DENIED)
    finally:
        await conn.close()
    return (refused.value.detail or "").removeprefix("audit record ")


def http_subjects(proxy_url: str, fixture_dsn: str, sql: str) -> list[str]:
    """The subjects the HTTP door records for the same statement: the reference."""
    answer, body = post_json(f"{proxy_url}/v1/query", {"sql": sql}, SECRETS["collector"])
    assert answer == 200 and isinstance(body, dict), body
    record = asyncio.run(_fetch(fixture_dsn, RECORD, body["audit_id"]))[0]
    return list(record["subjects"])


def served_records(fixture_dsn: str, since: datetime, kept: str) -> list[asyncpg.Record]:
    sql = (
        "SELECT id, door, principal, outcome, sqlstate, subjects, subject_count, sql"
        " FROM palata_audit.records WHERE at >= $1 AND door = 'pgwire'"
        " AND principal = 'collector' AND sql = $2 ORDER BY seq"
    )
    return asyncio.run(_fetch(fixture_dsn, sql, since, kept))


@pytest.mark.parametrize("client", ["asyncpg-binary", "raw-text"])
@pytest.mark.parametrize(("sql", "kept"), AUDITED, ids=["id-full_name", "distinct-id"])
def test_wire_statements_are_audited(
    client: str,
    sql: str,
    kept: str,
    port: int,
    wire_dsn: Callable[[str], str],
    fixture_dsn: str,
    proxy_url: str,
) -> None:
    since = datetime.now(UTC)
    if client == "raw-text":
        with RawWire.login(port, "collector") as wire:
            assert len(rows(wire.query(sql))) == 1
            refused = errors(wire.query(DENIED))
        denied_id = refused[0]["D"].removeprefix("audit record ")
    else:
        denied_id = asyncio.run(asyncpg_audited(wire_dsn("collector"), sql))
    served = served_records(fixture_dsn, since, kept)
    assert len(served) == 1, served
    assert (served[0]["outcome"], served[0]["subject_count"]) == ("served", 1), served[0]
    assert list(served[0]["subjects"]) == http_subjects(proxy_url, fixture_dsn, sql)
    denied = asyncio.run(_fetch(fixture_dsn, RECORD, denied_id))
    assert [(r["door"], r["principal"]) for r in denied] == [("pgwire", "collector")]
    assert [(r["outcome"], r["sqlstate"]) for r in denied] == [("denied", "42501")], denied


# -- 13. psycopg 3 ----------------------------------------------------------------------------


def test_psycopg_prepared_statements_are_masked(
    wire_dsn: Callable[[str], str], iins: dict[int, str]
) -> None:
    with psycopg.connect(wire_dsn("collector"), prepare_threshold=5) as conn:
        for _ in range(7):  # prepared server-side from the sixth run on
            got = conn.execute("SELECT id, iin FROM debtors WHERE id = %s", (3,)).fetchall()
            assert len(got) == 1 and got[0][0] == 3
            assert_masked(got[0][1], iins[3])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(DENIED)
        conn.rollback()
        assert conn.execute("SELECT %s::int + 1", (1,)).fetchone() == (2,)
    assert door_is_up(wire_dsn("collector"))


# -- names the server never changed (found in review) -------------------------------------------

NOTES = "SELECT id, notes FROM debtors ORDER BY id"  # notes: redacted by the proxy on the way out


def _notes_stay_redacted(answer: list[Frame]) -> None:
    """Rows read under the right plan: notes redacted, the hidden key column cut."""
    found = rows(answer)
    assert found, answer
    assert all(len(row) == 2 for row in found), "the hidden subject column must be cut"
    assert any("<PHONE_NUMBER>" in (notes or "") for _, notes in found), found[:2]


def test_a_deallocate_the_server_skipped_keeps_the_statement(collector: RawWire) -> None:
    assert not errors(collector.query(f"PREPARE s AS {NOTES}"))
    skipped = collector.query("SELECT 1/0; DEALLOCATE s")  # the division fails first
    assert [e["C"] for e in errors(skipped)] == ["22012"]
    again = collector.query("PREPARE s AS SELECT 1, 2")
    assert [e["C"] for e in errors(again)] == ["42P05"], "s still exists in the server"
    _notes_stay_redacted(collector.query("EXECUTE s"))


def test_a_close_the_server_skipped_keeps_the_cursor(collector: RawWire) -> None:
    assert not errors(collector.query(f"DECLARE c2 CURSOR WITH HOLD FOR {NOTES}"))
    collector.send(Bind("x", "nowhere").encode() + Close("P", "c2").encode() + Sync().encode())
    assert [e["C"] for e in errors(collector.until_ready())] == ["26000"]
    again = collector.query("DECLARE c2 CURSOR WITH HOLD FOR SELECT 1, 2")
    assert [e["C"] for e in errors(again)] == ["42P03"]
    _notes_stay_redacted(collector.query("FETCH ALL FROM c2"))
    collector.query("CLOSE c2")


def test_a_bind_cannot_re_point_a_cursor(collector: RawWire) -> None:
    assert not errors(collector.query("BEGIN"))
    assert not errors(collector.query(f"DECLARE c CURSOR FOR {NOTES}"))
    assert not errors(collector.query("SAVEPOINT a"))
    collector.send(Parse("s2", "SELECT 1, 2").encode() + Bind("c", "s2").encode() + Sync().encode())
    assert [e["C"] for e in errors(collector.until_ready())] == ["42P03"]
    assert not errors(collector.query("ROLLBACK TO SAVEPOINT a"))
    _notes_stay_redacted(collector.query("FETCH ALL FROM c"))
    collector.query("ROLLBACK")


def test_a_function_call_inside_a_batch_is_refused_in_its_turn(
    collector: RawWire, query_to_xml_oid: int
) -> None:
    collector.send(Parse("", "SELECT 1").encode() + Bind("", "").encode())
    call = function_call(query_to_xml_oid, [b"SELECT iin FROM debtors", b"t", b"f", b""])
    collector.send(call + Execute("").encode() + Sync().encode())
    refused = collector.until_ready()  # a FunctionCall is answered with its own ReadyForQuery
    assert [e["C"] for e in errors(refused)] == ["42501"], refused
    collector.until_ready()  # then the batch's Sync (the refusal ended the unnamed portal)
    assert rows(collector.query("SELECT 1")) == [("1",)], "the session goes on in step"


def test_describing_a_name_the_proxy_did_not_plan_is_refused(collector: RawWire) -> None:
    collector.send(Describe("P", "nowhere").encode() + Sync().encode())
    assert [e["C"] for e in errors(collector.until_ready())] == ["34000"]


def test_binary_results_without_describe_are_still_masked(collector: RawWire) -> None:
    """A client that asks for binary and never describes: the proxy learns the types itself."""
    bind = Bind("", "", result_formats=(1,)).encode()
    collector.send(Parse("", NOTES).encode() + bind + Execute("").encode() + Sync().encode())
    answer = collector.until_ready()
    assert kinds(answer).startswith(b"12") and not errors(answer), answer
    notes = [bytes(value or b"").decode() for _, value in _binary_rows(answer)]
    assert any("<PHONE_NUMBER>" in text for text in notes), notes[:2]


def _binary_rows(answer: list[Frame]) -> list[tuple[bytes | None, ...]]:
    return [decode_data_row(f.payload) for f in answer if f.kind == b"D"]


def _fetched_under_the_right_plan(answer: list[Frame]) -> None:
    """Either refused, or rows read under their own statement's plan (never another's)."""
    if errors(answer):
        return
    _notes_stay_redacted(answer)


@pytest.mark.parametrize(
    "forget",
    [
        pytest.param(["BEGIN", "DECLARE {c} CURSOR WITH HOLD FOR SELECT 1, 2", "ROLLBACK"],
                     id="hold-cursor-rolled-back"),
        pytest.param(["BEGIN", "SAVEPOINT a", "DECLARE {c} CURSOR FOR SELECT 1, 2",
                      "ROLLBACK TO SAVEPOINT a"], id="cursor-rolled-back-to-savepoint"),
    ],
)  # fmt: skip
def test_a_cursor_the_server_dropped_is_not_read_under_its_old_plan(
    collector: RawWire, forget: list[str]
) -> None:
    """The mirror may still hold a cursor the server dropped with a rollback: a parsed DECLARE
    of that name is refused, never relayed to make a cursor read under the old plan."""
    cursor = f"c_{secrets.token_hex(3)}"
    declare = f"DECLARE {cursor} CURSOR WITH HOLD FOR {NOTES}"
    collector.send(Parse("sd", declare).encode() + Sync().encode())
    assert kinds(collector.until_ready()) == b"1Z"
    for sql in forget:
        collector.query(sql.format(c=cursor))
    collector.send(Bind("p", "sd").encode() + Execute("p").encode() + Sync().encode())
    collector.until_ready()
    _fetched_under_the_right_plan(collector.query(f"FETCH ALL FROM {cursor}"))
    collector.query("ROLLBACK")


@pytest.mark.parametrize("inside", ["query", "function-call"])
def test_a_query_inside_a_failed_batch_keeps_the_answers_in_step(
    collector: RawWire, query_to_xml_oid: int, inside: str
) -> None:
    """The server ignores a Query (and the proxy's stand-in for a FunctionCall) after an error
    in an extended batch: the proxy must skip it too, or later rows meet another's plan."""
    collector.send(
        Parse("sx", "SELECT 1, 2").encode() + Parse("sn", NOTES).encode() + Sync().encode()
    )
    assert kinds(collector.until_ready()) == b"11Z"
    middle = (
        Query("SELECT 1").encode()
        if inside == "query"
        else function_call(query_to_xml_oid, [b"SELECT 1", b"t", b"f", b""])
    )
    failing = Bind("x", "nowhere").encode() + middle
    collector.send(failing + Bind("", "sx").encode() + Execute("").encode() + Sync().encode())
    assert [e["C"] for e in errors(collector.until_ready())] == ["26000"]
    collector.send(Bind("", "sn").encode() + Execute("").encode() + Sync().encode())
    _notes_stay_redacted(collector.until_ready())


# -- the audit of what the server refused or ran by name (third review) -------------------------


def _records_since(fixture_dsn: str, since: datetime) -> list[asyncpg.Record]:
    sql = (
        "SELECT sql, outcome, sqlstate, kind, rows FROM palata_audit.records"
        " WHERE at >= $1 AND door = 'pgwire' AND principal = 'collector' ORDER BY seq"
    )
    return asyncio.run(_fetch(fixture_dsn, sql, since))


def test_prepare_and_execute_literals_stay_out_of_the_audit(
    collector: RawWire, fixture_dsn: str, iins: dict[int, str]
) -> None:
    since = datetime.now(UTC)
    iin = iins[1]
    collector.query(f"PREPARE lit AS SELECT id, notes FROM debtors WHERE iin = '{iin}'")
    collector.query("PREPARE arg(text) AS SELECT id FROM debtors WHERE iin = $1")
    collector.query(f"EXECUTE arg('{iin}')")
    collector.query("DEALLOCATE ALL")
    kept = [r["sql"] for r in _records_since(fixture_dsn, since)]
    assert len(kept) == 4 and not [text for text in kept if iin in (text or "")], kept


@pytest.mark.parametrize(
    ("sql", "sqlstate"),
    [
        pytest.param("SELECT id FROM debtors WHERE 'x'::int = 1", "22P02", id="fails-at-parse"),
        pytest.param("SELECT 1/0", "22012", id="fails-at-bind"),
    ],
)
def test_statements_the_server_refuses_before_execute_are_recorded(
    collector: RawWire, fixture_dsn: str, sql: str, sqlstate: str
) -> None:
    """Recorded with their SQLSTATE, classed as the HTTP door classes it (class 22: the
    client's input, `denied`; a server-side failure such as 57014: `failed`)."""
    since = datetime.now(UTC)
    collector.send(extended(sql) + Sync().encode())
    assert [e["C"] for e in errors(collector.until_ready())] == [sqlstate]
    found = [(r["outcome"], r["sqlstate"]) for r in _records_since(fixture_dsn, since)]
    assert found == [("denied", sqlstate)], found


def test_a_cancelled_statement_is_recorded_as_failed(collector: RawWire, fixture_dsn: str) -> None:
    since = datetime.now(UTC)
    collector.query("SET statement_timeout = 50")
    assert [e["C"] for e in errors(collector.query(SLOW))] == ["57014"]
    collector.query("RESET statement_timeout")
    found = [(r["outcome"], r["sqlstate"]) for r in _records_since(fixture_dsn, since)]
    assert ("failed", "57014") in found, found


def test_a_statement_prepared_in_sql_is_audited_by_its_query(
    collector: RawWire, fixture_dsn: str
) -> None:
    collector.query("PREPARE byname AS SELECT id FROM debtors ORDER BY id LIMIT 3")
    since = datetime.now(UTC)
    collector.send(Bind("b", "byname").encode() + Execute("b").encode() + Sync().encode())
    assert len(rows(collector.until_ready())) == 3
    collector.query("DEALLOCATE byname")
    found = [(r["sql"], r["rows"]) for r in _records_since(fixture_dsn, since)]
    assert found[0] == ("SELECT id FROM debtors ORDER BY id LIMIT $1", 3), found


# -- before and around the login (fourth review) -------------------------------------------------


def test_a_large_message_before_login_is_refused_at_its_header(port: int) -> None:
    """Nobody unauthenticated makes the door hold a large message: refused on its length."""
    with RawWire.open(port) as wire:
        wire.send(encode_startup_message({"user": "nobody", "database": DATABASE}))
        assert wire.next_frame().kind == b"R"
        wire.send(b"p" + struct.pack("!i", 1_048_576) + b"\0" * 1024)
        answer = wire.until_closed()
    fields = error_fields(answer[-1])
    assert (fields["S"], fields["C"]) == ("FATAL", "08P01"), fields


async def _application_names(dsn: str, fixture_dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "palata-proxy/dpo"})
    try:
        await conn.fetchval("SELECT 1")
        rows = await _fetch(
            fixture_dsn,
            "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'palata-%'",
        )
    finally:
        await conn.close()
    return [row["application_name"] for row in rows]


def test_a_client_cannot_pass_its_session_off_as_another_principals(
    wire_dsn: Callable[[str], str], fixture_dsn: str
) -> None:
    names = asyncio.run(_application_names(wire_dsn("collector"), fixture_dsn))
    assert "palata-proxy/dpo" not in names and "palata-proxy/collector" in names, names


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM debtors WHERE iin = '8704",  # an unterminated quote: does not scan
        "SELECT 123abc",
    ],
)
def test_text_that_does_not_scan_is_a_syntax_error_on_record(collector: RawWire, sql: str) -> None:
    collector.send(Query(sql).encode())
    answer = collector.until_ready()
    assert kinds(answer) == b"EZ", answer
    fields = error_fields(answer[0])
    assert fields["C"] == "42601", fields
    assert "audit record" in fields.get("D", ""), fields
    collector.send(Query("SELECT 1").encode())
    assert kinds(collector.until_ready()) == b"TDCZ", "the session goes on"
