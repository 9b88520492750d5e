"""Running one (already rewritten) statement on the upstream pool.

Each statement runs under a client-side timeout; the pool's connections carry the same limit as
their server-side `statement_timeout` (see `open_upstream`), so a slow statement is cancelled on
both ends without a round trip per statement to set it. A result above `max_rows` is refused
instead of filling memory: a query whose text already stops at `max_rows + 1` rows
(`row_bounded`, see `proxy.pipeline.row_bound`) is read in one round trip, in the implicit
transaction of a single statement; any other statement runs in a transaction of its own, and
its rows are read through a cursor that stops at `max_rows + 1`.

A query's shape (its parameter and column types) is learnt from the first prepare and kept in a
`Shapes` cache; later runs convert parameters from it and open the cursor through asyncpg's
per-connection statement cache, which saves the prepare round trip. A cached statement the
database invalidated (a schema change) is dropped and the statement run once more.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from proxy.errors import ProxyError, RequestTooLarge
from proxy.lru import LruCache
from proxy.upstream.errors import StatementTimeout, from_postgres_error
from proxy.upstream.params import convert_parameters
from proxy.upstream.results import ResultColumn, ResultSet

SHAPES_KEPT = 4096

BeforeCommit = Callable[[ResultSet], Awaitable[None]]


@dataclass(frozen=True)
class ExecutionLimits:
    timeout_s: float
    max_rows: int


@dataclass(frozen=True)
class StatementShape:
    parameter_types: tuple[str, ...]
    columns: tuple[ResultColumn, ...]


class Shapes(LruCache[str, StatementShape]):
    """Query shapes by statement text, the most recently used kept."""

    def __init__(self, size: int = SHAPES_KEPT) -> None:
        super().__init__(size)


async def run_statement(
    conn: Any,
    sql: str,
    params: Sequence[object],
    limits: ExecutionLimits,
    *,
    is_query: bool,
    scrub_errors: bool,
    row_bounded: bool = False,
    shapes: Shapes | None = None,
    before_commit: BeforeCommit | None = None,
) -> ResultSet:
    """Run `sql` on `conn` (an asyncpg connection the caller holds, acting as the principal's
    database role); errors become ProxyErrors. `row_bounded` says the text itself returns at
    most `limits.max_rows + 1` rows. `before_commit` runs with the result while the statement's
    transaction is still open (the audit record of a write is made durable there, so no change
    is committed unrecorded); if it raises, the statement is rolled back."""
    for attempt in (1, 2):
        try:
            async with asyncio.timeout(limits.timeout_s):
                if is_query and row_bounded:
                    return await _execute(conn, sql, params, limits, _Reading.WHOLE, shapes)
                reading = _Reading.CURSOR if is_query else _Reading.STATUS
                async with conn.transaction():
                    result = await _execute(conn, sql, params, limits, reading, shapes)
                    if before_commit is not None:
                        await before_commit(result)
                    return result
        except (asyncpg.exceptions.InvalidCachedStatementError, _StaleShape) as exc:
            if shapes is not None:
                shapes.forget(sql)
            if attempt == 2 and isinstance(exc, asyncpg.PostgresError):
                raise from_postgres_error(exc, scrub=scrub_errors) from None
        except TimeoutError:
            raise StatementTimeout(
                f"the statement ran longer than query.statement_timeout_s ({limits.timeout_s} s)"
                " and was cancelled"
            ) from None
        except asyncpg.PostgresError as exc:
            if getattr(exc, "sqlstate", None) == "57014":
                raise StatementTimeout("the statement was cancelled by the database") from None
            raise from_postgres_error(exc, scrub=scrub_errors) from None
    # the second attempt prepares afresh, so its shape cannot be stale; refuse rather than assume
    raise ProxyError("the statement's result changed shape while it ran; send it again")


class _Reading(enum.Enum):
    WHOLE = "the text bounds its rows: fetch them all in one round trip"
    CURSOR = "read through a cursor, stopping at max_rows + 1"
    STATUS = "not a query: run it and keep the command tag (and any RETURNING rows)"


async def _execute(
    conn: Any,
    sql: str,
    params: Sequence[object],
    limits: ExecutionLimits,
    reading: _Reading,
    shapes: Shapes | None,
) -> ResultSet:
    shape = shapes.get(sql) if shapes is not None and reading is not _Reading.STATUS else None
    if shape is not None:  # asyncpg's statement cache prepares once per connection
        args = convert_parameters(params, shape.parameter_types)
        records = await _read_rows(_Text(conn, sql), args, limits.max_rows, reading)
        names = tuple(c.name for c in shape.columns)
        if not records:  # nothing to check the remembered columns against: ask the database
            raise _StaleShape()
        if tuple(records[0].keys()) != names:
            # this connection prepared the text after a schema change: the remembered columns
            # would label the values wrongly, so run it again the long way
            raise _StaleShape()
        rows = [tuple(r) for r in records]
        return ResultSet(shape.columns, rows, f"SELECT {len(rows)}")
    statement = await conn.prepare(sql)
    parameter_types = tuple(p.name for p in statement.get_parameters())
    args = convert_parameters(params, parameter_types)
    columns = tuple(
        ResultColumn(a.name, a.type.name, a.type.oid) for a in statement.get_attributes()
    )
    if reading is not _Reading.STATUS:
        if shapes is not None:
            shapes.put(sql, StatementShape(parameter_types, columns))
        rows = [tuple(r) for r in await _read_rows(statement, args, limits.max_rows, reading)]
        return ResultSet(columns, rows, f"SELECT {len(rows)}")
    rows = [tuple(r) for r in await statement.fetch(*args)]
    return ResultSet(columns, rows, statement.get_statusmsg())


class _StaleShape(Exception):
    """The remembered columns cannot be trusted for this result: run the text the long way."""


@dataclass(frozen=True, slots=True)
class _Text:
    """Statement text on a connection, read as a prepared statement is (asyncpg prepares it
    through the connection's statement cache)."""

    conn: Any
    sql: str

    async def fetch(self, *args: object) -> list[Any]:
        return list(await self.conn.fetch(self.sql, *args))

    async def cursor(self, *args: object) -> Any:
        return await self.conn.cursor(self.sql, *args)


async def _read_rows(
    source: Any, args: Sequence[object], max_rows: int, reading: _Reading
) -> list[Any]:
    if reading is _Reading.WHOLE:
        rows = list(await source.fetch(*args))
    else:
        rows = list(await (await source.cursor(*args)).fetch(max_rows + 1))
    if len(rows) > max_rows:
        raise RequestTooLarge(
            f"the result has more than query.max_rows ({max_rows}) rows: "
            "add LIMIT or narrow the statement"
        )
    return rows
