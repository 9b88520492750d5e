"""Small synchronous helpers for reading a test database from sync tests and fixtures."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg


async def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    return asyncio.run(_fetch(dsn, sql, *args))


def table_digests(dsn: str, tables: tuple[str, ...]) -> dict[str, str]:
    """md5 of each table's rows as text, ordered by id: equal digests mean equal contents."""
    return {
        table: fetch(
            dsn, f"SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM public.{table} t"
        )[0][0]
        for table in tables
    }
