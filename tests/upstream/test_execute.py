"""Running statements on a real PostgreSQL: types, limits, timeouts and scrubbed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from proxy.errors import RequestTooLarge
from proxy.upstream.errors import VALUE_BEARING_CLASSES, StatementTimeout, UpstreamError
from proxy.upstream.execute import ExecutionLimits, Shapes, run_statement
from proxy.upstream.params import InvalidParameter
from proxy.upstream.pool import configure_connection

LIMITS = ExecutionLimits(timeout_s=5, max_rows=100)
NAME = "Оспанова Назерке"  # a personal-data look-alike that must not leak through errors


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fresh_dsn)
    await configure_connection(connection)
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS people (id int PRIMARY KEY, name text NOT NULL, "
        "amount numeric(12,2) CHECK (amount >= 0))"
    )
    await connection.execute(
        "INSERT INTO people VALUES (1, $1, 10.50) ON CONFLICT DO NOTHING", NAME
    )
    try:
        yield connection
    finally:
        await connection.close()


async def test_query_returns_columns_rows_and_types(conn: Any) -> None:
    result = await run_statement(
        conn,
        "SELECT id, amount, interval '1 month 2 days' AS i, '{\"a\": 1}'::jsonb AS j "
        "FROM people WHERE id = $1",
        [1],
        LIMITS,
        is_query=True,
        scrub_errors=True,
    )
    assert [(c.name, c.type_name) for c in result.columns] == [
        ("id", "int4"),
        ("amount", "numeric"),
        ("i", "interval"),
        ("j", "jsonb"),
    ]
    assert result.rows == [(1, Decimal("10.50"), "1 mon 2 days", {"a": 1})]
    assert result.status == "SELECT 1"


async def test_too_many_rows_are_refused(conn: Any) -> None:
    limits = ExecutionLimits(timeout_s=5, max_rows=3)
    with pytest.raises(RequestTooLarge, match=r"query\.max_rows \(3\)"):
        await run_statement(
            conn,
            "SELECT g FROM generate_series(1, 4) g",
            [],
            limits,
            is_query=True,
            scrub_errors=True,
        )
    exactly = await run_statement(
        conn, "SELECT g FROM generate_series(1, 3) g", [], limits, is_query=True, scrub_errors=True
    )
    assert exactly.row_count == 3


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT g, g * 2 AS twice FROM generate_series(1, 3) g LIMIT 101",
        "SELECT id, name, amount FROM people WHERE id = 1 LIMIT 101",
        "SELECT g FROM generate_series(1, 0) g LIMIT 101",
    ],
)
async def test_both_ways_of_reading_a_query_agree(conn: Any, sql: str) -> None:
    # in one round trip (the text bounds its rows) or through a cursor in a transaction
    whole, cursor = [
        await run_statement(
            conn, sql, [], LIMITS, is_query=True, scrub_errors=True, row_bounded=bounded
        )
        for bounded in (True, False)
    ]
    assert whole == cursor


async def test_too_many_rows_are_refused_when_the_text_bounds_them(conn: Any) -> None:
    limits = ExecutionLimits(timeout_s=5, max_rows=3)
    sql = "SELECT g FROM generate_series(1, 10) g LIMIT 4"
    with pytest.raises(RequestTooLarge, match=r"query\.max_rows \(3\)"):
        await run_statement(
            conn, sql, [], limits, is_query=True, scrub_errors=True, row_bounded=True
        )
    shapes = Shapes()  # and again once the shape is known (the statement cache's path)
    for _ in range(2):
        with pytest.raises(RequestTooLarge):
            await run_statement(
                conn,
                sql,
                [],
                limits,
                is_query=True,
                scrub_errors=True,
                row_bounded=True,
                shapes=shapes,
            )


async def test_slow_statements_are_cancelled(conn: Any) -> None:
    limits = ExecutionLimits(timeout_s=0.3, max_rows=10)
    with pytest.raises(StatementTimeout) as caught:
        await run_statement(
            conn, "SELECT pg_sleep(5)", [], limits, is_query=True, scrub_errors=True
        )
    assert caught.value.sqlstate == "57014"
    # the connection is usable afterwards
    assert (
        await run_statement(conn, "SELECT 1", [], LIMITS, is_query=True, scrub_errors=True)
    ).rows == [(1,)]


async def test_writes_report_their_command_tag(conn: Any) -> None:
    result = await run_statement(
        conn,
        "UPDATE people SET amount = amount WHERE id = $1",
        [1],
        LIMITS,
        is_query=False,
        scrub_errors=True,
    )
    assert result.status == "UPDATE 1"
    assert result.columns == ()


@pytest.mark.parametrize(
    ("sql", "sqlstate", "status"),
    [
        pytest.param("SELECT name::date FROM people WHERE id = 1", "22007", 400, id="cast"),
        pytest.param(
            "SELECT 1 / (length(name) - length(name)) FROM people", "22012", 400, id="division"
        ),
        pytest.param("INSERT INTO people SELECT 1, name, 1 FROM people", "23505", 409, id="unique"),
        pytest.param("UPDATE people SET amount = -1 WHERE name = name", "23514", 409, id="check"),
    ],
)
async def test_value_bearing_errors_are_scrubbed(
    conn: Any, sql: str, sqlstate: str, status: int
) -> None:
    with pytest.raises(UpstreamError) as scrubbed:
        await run_statement(conn, sql, [], LIMITS, is_query=False, scrub_errors=True)
    assert (scrubbed.value.sqlstate, scrubbed.value.http_status) == (sqlstate, status)
    assert NAME not in scrubbed.value.message and "10.50" not in scrubbed.value.message
    assert scrubbed.value.message == f"database error: {VALUE_BEARING_CLASSES[sqlstate[:2]]}"


async def test_unscrubbed_errors_keep_the_database_detail(conn: Any) -> None:
    # principals that see clear data (the DPO) get the full message, DETAIL included
    with pytest.raises(UpstreamError) as caught:
        await run_statement(
            conn,
            "INSERT INTO people SELECT 1, name, 1 FROM people",
            [],
            LIMITS,
            is_query=False,
            scrub_errors=False,
        )
    assert "already exists" in caught.value.message


async def test_other_errors_keep_their_message(conn: Any) -> None:
    with pytest.raises(UpstreamError) as caught:
        await run_statement(
            conn, "SELECT nope FROM people", [], LIMITS, is_query=True, scrub_errors=True
        )
    assert caught.value.sqlstate == "42703"
    assert 'column "nope" does not exist' in caught.value.message


async def test_pooled_connections_pin_name_resolution_and_literals(fresh_dsn: str) -> None:
    from proxy.config import load_settings
    from proxy.upstream.pool import open_upstream

    settings = load_settings(None, {}, {"upstream.dsn": fresh_dsn})
    async with open_upstream(fresh_dsn, settings.upstream) as upstream, upstream.connection() as c:
        assert await c.fetchval("SHOW search_path") == "pg_catalog, public"
        assert await c.fetchval("SHOW standard_conforming_strings") == "on"


async def test_pooled_connections_carry_the_statement_timeout(fresh_dsn: str) -> None:
    from proxy.config import load_settings
    from proxy.upstream.pool import open_upstream

    settings = load_settings(None, {}, {"upstream.dsn": fresh_dsn})
    async with (
        open_upstream(fresh_dsn, settings.upstream, 1.5) as upstream,
        upstream.connection() as c,
    ):
        assert await c.fetchval("SHOW statement_timeout") == "1500ms"


async def test_a_query_shape_is_learnt_once_and_reused(conn: Any) -> None:
    shapes = Shapes()
    sql = "SELECT id, name FROM people WHERE id = $1"
    first = await run_statement(
        conn, sql, ["1"], LIMITS, is_query=True, scrub_errors=True, shapes=shapes
    )
    shape = shapes.get(sql)
    assert shape is not None and shape.parameter_types == ("int4",)
    again = await run_statement(
        conn, sql, ["1"], LIMITS, is_query=True, scrub_errors=True, shapes=shapes
    )
    assert again == first
    with pytest.raises(InvalidParameter):  # parameters are still converted by the known types
        await run_statement(
            conn, sql, ["one"], LIMITS, is_query=True, scrub_errors=True, shapes=shapes
        )


async def test_a_schema_change_drops_the_stale_shape(conn: Any) -> None:
    shapes = Shapes()
    await conn.execute("CREATE TABLE IF NOT EXISTS changing (id int, v int)")
    await conn.execute("INSERT INTO changing VALUES (1, 2)")
    sql = "SELECT * FROM changing"
    for _ in range(2):
        await run_statement(conn, sql, [], LIMITS, is_query=True, scrub_errors=True, shapes=shapes)
    await conn.execute("ALTER TABLE changing ALTER COLUMN v TYPE bigint")
    result = await run_statement(
        conn, sql, [], LIMITS, is_query=True, scrub_errors=True, shapes=shapes
    )
    assert [c.type_name for c in result.columns] == ["int4", "int8"]
    assert result.rows == [(1, 2)]
