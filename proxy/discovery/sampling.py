"""Reading samples from the database: the I/O half of discovery.

Lists every table of every schema but PostgreSQL's own and the proxy's (`palata_*`), then reads
up to `limit` non-null values per column, as text, cut to `max_chars` by the server so a huge
value never crosses the wire whole. Each read is its own short read-only transaction with a
statement and lock timeout, so a scan of a production database holds no snapshot for long and
cannot write. Small tables are sampled with ORDER BY random(); large ones with TABLESAMPLE SYSTEM
over about SAMPLE_FACTOR times the rows needed, topped up from the table's start when a sparse
column yields too few.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from proxy.discovery.evidence import ColumnInfo
from proxy.errors import ProxyError, UpstreamUnavailable
from proxy.sql.quoting import quote_ident, quote_qualified

LARGE_TABLE_ROWS = 100_000
SAMPLE_FACTOR = 20
LOCK_TIMEOUT_MS = 2_000

_TABLES_SQL = r"""
SELECT c.oid, n.nspname, c.relname,
       greatest(c.reltuples, (SELECT sum(p.reltuples) FROM pg_inherits i
                              JOIN pg_class p ON p.oid = i.inhrelid
                              WHERE i.inhparent = c.oid))::float8 AS estimated_rows
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT LIKE 'palata\_%'
ORDER BY n.nspname, c.relname
"""
_COLUMNS_SQL = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS type_name,
       t.typcategory::text AS type_category
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_PRIMARY_KEYS_SQL = """
SELECT con.conrelid, array_agg(a.attname ORDER BY k.ord) AS columns
FROM pg_constraint con
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE con.contype = 'p' AND con.conrelid = ANY($1::oid[])
GROUP BY con.conrelid
"""


@dataclass(frozen=True)
class TableInfo:
    name: str  # schema.table
    columns: tuple[ColumnInfo, ...]
    estimated_rows: float  # pg_class.reltuples; negative when never analysed
    primary_key: tuple[str, ...]


@dataclass(frozen=True)
class ColumnSample:
    values: list[str]
    truncated: int  # how many were cut to max_chars


class ColumnUnreadable(ProxyError):
    """One column could not be sampled (no privilege, timed out); the scan goes on without it."""


async def list_tables(conn: asyncpg.Connection) -> list[TableInfo]:
    tables = await conn.fetch(_TABLES_SQL)
    oids = [row["oid"] for row in tables]
    columns: dict[int, list[ColumnInfo]] = {oid: [] for oid in oids}
    names = {row["oid"]: f"{row['nspname']}.{row['relname']}" for row in tables}
    for row in await conn.fetch(_COLUMNS_SQL, oids):
        oid = row["attrelid"]
        info = ColumnInfo(names[oid], row["attname"], row["type_name"], row["type_category"])
        columns[oid].append(info)
    keys = {
        row["conrelid"]: tuple(row["columns"]) for row in await conn.fetch(_PRIMARY_KEYS_SQL, oids)
    }
    return [
        TableInfo(names[oid], tuple(columns[oid]), row["estimated_rows"], keys.get(oid, ()))
        for oid, row in zip(oids, tables, strict=True)
    ]


async def sample_column(
    conn: asyncpg.Connection,
    table: TableInfo,
    info: ColumnInfo,
    *,
    limit: int,
    max_chars: int,
    timeout_s: float,
) -> ColumnSample:
    """Up to `limit` non-null values of one column as text, each cut to `max_chars`."""
    schema, _, name = table.name.partition(".")
    source = quote_qualified(schema, name)
    column = quote_ident(info.column)
    try:
        async with conn.transaction(readonly=True):
            await conn.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
            await conn.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
            rows = await _sample_rows(conn, table, source, column, limit, max_chars)
    except (asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError):
        raise ColumnUnreadable("timed out") from None
    except asyncpg.InsufficientPrivilegeError:
        raise ColumnUnreadable("no SELECT privilege") from None
    except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as exc:
        raise UpstreamUnavailable(f"lost the database: {type(exc).__name__}") from None
    except asyncpg.PostgresError as exc:  # the message could quote a value: keep the code only
        raise ColumnUnreadable(f"SQLSTATE {exc.sqlstate}") from None
    return ColumnSample([row[0] for row in rows], sum(1 for row in rows if row[1]))


async def _sample_rows(
    conn: asyncpg.Connection,
    table: TableInfo,
    source: str,
    column: str,
    limit: int,
    max_chars: int,
) -> list[asyncpg.Record]:
    select = f"SELECT left({column}::text, $1), length({column}::text) > $1 FROM {source}"
    where = f"WHERE {column} IS NOT NULL"
    if table.estimated_rows < LARGE_TABLE_ROWS:
        return list(
            await conn.fetch(f"{select} {where} ORDER BY random() LIMIT $2", max_chars, limit)
        )
    percent = min(100.0, 100.0 * SAMPLE_FACTOR * limit / table.estimated_rows)
    rows = list(
        await conn.fetch(
            f"{select} TABLESAMPLE SYSTEM ($3) {where} LIMIT $2", max_chars, limit, percent
        )
    )
    if len(rows) < limit // 2:  # a sparse column: take what the table's start holds
        rows = list(await conn.fetch(f"{select} {where} LIMIT $2", max_chars, limit))
    return rows
