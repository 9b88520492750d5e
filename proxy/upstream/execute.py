"""Running one (already rewritten) statement on the upstream pool.

Each statement runs in its own transaction under a client-side timeout; the pool's connections
carry the same limit as their server-side `statement_timeout` (see `open_upstream`), so a slow
statement is cancelled on both ends without a round trip per statement to set it.
Row-returning queries are read through a cursor and stop at `max_rows + 1`, so a huge result is
refused instead of filling memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from proxy.errors import RequestTooLarge
from proxy.upstream.errors import StatementTimeout, from_postgres_error
from proxy.upstream.params import convert_parameters
from proxy.upstream.results import ResultColumn, ResultSet


@dataclass(frozen=True)
class ExecutionLimits:
    timeout_s: float
    max_rows: int


async def run_statement(
    conn: Any,
    sql: str,
    params: Sequence[object],
    limits: ExecutionLimits,
    *,
    is_query: bool,
    scrub_errors: bool,
    database_role: str | None = None,
) -> ResultSet:
    """Run `sql` on `conn` (an asyncpg connection the caller holds); errors become ProxyErrors.

    With `database_role`, the statement runs as that (provisioned, least-privilege) role for the
    duration of its transaction; the name comes from configuration, never from a client."""
    try:
        async with asyncio.timeout(limits.timeout_s), conn.transaction():
            if database_role is not None:
                await conn.execute(f'SET LOCAL ROLE "{database_role}"')
            statement = await conn.prepare(sql)
            args = convert_parameters(params, [p.name for p in statement.get_parameters()])
            columns = tuple(
                ResultColumn(a.name, a.type.name, a.type.oid) for a in statement.get_attributes()
            )
            if is_query and columns:
                rows = await _bounded_rows(statement, args, limits.max_rows)
                return ResultSet(columns, rows, f"SELECT {len(rows)}")
            rows = [tuple(r) for r in await statement.fetch(*args)]
            return ResultSet(columns, rows, statement.get_statusmsg())
    except TimeoutError:
        raise StatementTimeout(
            f"the statement ran longer than query.statement_timeout_s ({limits.timeout_s} s) "
            "and was cancelled"
        ) from None
    except asyncpg.PostgresError as exc:
        if getattr(exc, "sqlstate", None) == "57014":
            raise StatementTimeout("the statement was cancelled by the database") from None
        raise from_postgres_error(exc, scrub=scrub_errors) from None


async def _bounded_rows(
    statement: Any, args: Sequence[object], max_rows: int
) -> list[tuple[object, ...]]:
    cursor = await statement.cursor(*args)
    rows = [tuple(r) for r in await cursor.fetch(max_rows + 1)]
    if len(rows) > max_rows:
        raise RequestTooLarge(
            f"the result has more than query.max_rows ({max_rows}) rows: "
            "add LIMIT or narrow the statement"
        )
    return rows
