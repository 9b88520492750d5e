"""The Python drivers' own ways through the wire door: asyncpg's statement cache, cursors and type
introspection, psycopg's pipeline mode and auto-prepare, all masked as the HTTP door masks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import psycopg
import pytest

MASKED = "********"


async def _asyncpg(dsn: str) -> dict[str, object]:
    conn = await asyncpg.connect(dsn, statement_cache_size=10)
    seen: dict[str, object] = {}
    try:
        lookup = "SELECT id, iin FROM debtors WHERE id = $1"
        # from the second run on, asyncpg binds its cached named statement without a Parse
        seen["cached"] = [await conn.fetchrow(lookup, key) for key in (1, 2, 1, 2)]
        whole = await conn.fetchrow("SELECT d FROM debtors d WHERE id = 1")  # introspection
        seen["whole_row"] = whole["d"] if whole is not None else None
        async with conn.transaction():
            seen["cursor"] = [
                row async for row in conn.cursor("SELECT id, iin FROM debtors", prefetch=7)
            ]
            cursor = await conn.cursor("SELECT id, iin FROM debtors ORDER BY id")
            seen["fetched"] = await cursor.fetch(3) + await cursor.fetch(3)
    finally:
        await conn.close()
    return seen


def test_asyncpg_cache_introspection_and_cursors(wire_dsn: Callable[[str], str]) -> None:
    seen = asyncio.run(_asyncpg(wire_dsn("collector")))
    cached = seen["cached"]
    assert isinstance(cached, list) and [row["id"] for row in cached] == [1, 2, 1, 2]
    assert all(row["iin"].startswith(MASKED) for row in cached)
    whole = seen["whole_row"]
    assert whole is not None and whole[1].startswith(MASKED) and whole[2] is None, whole
    rows = seen["cursor"]
    assert isinstance(rows, list) and len(rows) == 80  # the collector's region only
    assert all(row["iin"].startswith(MASKED) for row in rows)
    fetched = seen["fetched"]
    assert isinstance(fetched, list) and len({row["id"] for row in fetched}) == 6


def test_psycopg_pipeline_mode(wire_dsn: Callable[[str], str]) -> None:
    with psycopg.connect(wire_dsn("collector"), autocommit=True) as conn:
        with conn.pipeline():
            cursors = [
                conn.execute("SELECT iin FROM debtors WHERE id = %s", (key,)) for key in (1, 2, 3)
            ]
        values = [cursor.fetchone() for cursor in cursors]
        assert all(v is not None and str(v[0]).startswith(MASKED) for v in values), values
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.pipeline():
            conn.execute("SELECT iin FROM debtors WHERE id = 1")
            conn.execute("SELECT salary FROM employees")
            conn.execute("SELECT iin FROM debtors WHERE id = 2")
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg_auto_prepare_and_server_cursor(
    wire_dsn: Callable[[str], str], binary: bool
) -> None:
    with psycopg.connect(wire_dsn("collector"), prepare_threshold=2) as conn:
        with conn.cursor(binary=binary) as cursor:
            for key in range(1, 7):  # prepared from the third run on
                cursor.execute("SELECT id, iin FROM debtors WHERE id = %s", (key,))
        with conn.cursor(name="listing", binary=binary) as server_side:
            server_side.execute("SELECT id, iin, notes FROM debtors ORDER BY id")
            rows = server_side.fetchmany(4) + server_side.fetchall()
    assert len(rows) == 80
    assert all(str(iin).startswith(MASKED) for _, iin, _ in rows)


def test_a_newer_client_is_negotiated_down_to_3_0(wire_dsn: Callable[[str], str]) -> None:
    """libpq 18 asking for protocol 3.2 gets NegotiateProtocolVersion and goes on with 3.0."""
    with psycopg.connect(wire_dsn("collector"), max_protocol_version="3.2") as conn:
        assert conn.pgconn.protocol_version == 3
        row = conn.execute("SELECT iin FROM debtors WHERE id = 1").fetchone()
    assert row is not None and str(row[0]).startswith(MASKED)


async def _idle_sessions(dsn: str, fixture_dsn: str, count: int) -> tuple[int, int, int]:
    """Backends of the proxy's sessions before, while `count` clients wait logged in, and once
    one of them has run a statement."""

    async def backends() -> int:
        conn = await asyncpg.connect(fixture_dsn)
        try:
            sql = (
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'palata-proxy/%'"
            )
            return int(await conn.fetchval(sql))
        finally:
            await conn.close()

    before = await backends()
    clients = [await asyncpg.connect(dsn, ssl=False) for _ in range(count)]
    try:
        waiting = await backends()
        await clients[0].fetchval("SELECT 1")
        working = await backends()
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    return before, waiting, working


def test_clients_that_wait_hold_no_database_connection(
    wire_dsn: Callable[[str], str], fixture_dsn: str
) -> None:
    """A session opens its upstream connection with its first message, so many logged-in idle
    clients cost the database nothing."""
    before, waiting, working = asyncio.run(_idle_sessions(wire_dsn("collector"), fixture_dsn, 40))
    assert waiting == before
    assert working == before + 1


BIG = "SELECT n, repeat('x', 1000) AS filler FROM generate_series(1, 200) AS n"  # ~200 kB


async def _big_result(dsn: str) -> tuple[str, int, int]:
    """A result past pgwire.max_result_bytes (64 KiB in the fixture): refused, the session
    goes on; the same rows through a cursor in parts of 20: served."""
    conn = await asyncpg.connect(dsn)
    try:
        with pytest.raises(asyncpg.PostgresError) as refused:
            await conn.fetch(BIG)
        after = await conn.fetchval("SELECT 1")
        async with conn.transaction():
            parts = [row async for row in conn.cursor(BIG, prefetch=20)]
    finally:
        await conn.close()
    assert "max_result_bytes" in str(refused.value)
    return str(refused.value.sqlstate), int(after), len(parts)


def test_a_result_past_the_limit_is_refused_and_a_cursor_reads_it(
    wire_dsn: Callable[[str], str],
) -> None:
    assert asyncio.run(_big_result(wire_dsn("collector"))) == ("54000", 1, 200)


def test_a_refused_result_skips_the_rest_of_its_pipeline(wire_dsn: Callable[[str], str]) -> None:
    """As after an error in the server: nothing more until Sync, then the session goes on."""
    with psycopg.connect(wire_dsn("collector"), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ProgramLimitExceeded), conn.pipeline():
            conn.execute(BIG)
            conn.execute("SELECT iin FROM debtors WHERE id = 1")
        assert conn.execute("SELECT 2").fetchone() == (2,)
