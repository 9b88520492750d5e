"""Audit records in a real `palata_audit.records` table, for the search tests.

The table is created here with the store's DDL (not partitioned: the search does not care), so
these tests depend only on the table's contract; records are inserted from `AuditRecord` values.
`RecordingStore` is the search doors' test double of `AuditSearchStore`: a real asyncpg pool,
the real subject hasher, and a sink that keeps what it is given (or refuses, when told to).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from proxy.audit import schema
from proxy.audit.errors import AuditUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, ColumnAccess, stored_json
from proxy.audit.store import INSERT
from tests.conftest import new_database
from tests.redteam.corpus import load_fixture_schema

KEYS = AuditKeys(b"search-tests-audit-key-0123456789abcdef")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def debtor(key: int) -> str:
    return KEYS.subject_hmac("public.debtors", str(key))


def employee(key: int) -> str:
    return KEYS.subject_hmac("public.employees", str(key))


def read(
    table: str, *columns: str, decision: str = "clear", mask: str | None = None
) -> tuple[ColumnAccess, ...]:
    return tuple(ColumnAccess(table, c, decision, mask) for c in columns)  # type: ignore[arg-type]


def make_record(n: int, **fields: Any) -> AuditRecord:
    """Record `rec-<n>`: a served SELECT by the collector at T0 + n minutes, seq n, unless
    `fields` say otherwise."""
    seq = n
    base = AuditRecord(
        id=f"rec-{n}",
        instance="palata-proxy-test",
        at=T0 + timedelta(minutes=seq),
        door="http",
        principal="collector",
        app=None,
        roles=("collector",),
        purpose="debt_collection",
        client="127.0.0.1",
        kind="select",
        sql="SELECT id, iin FROM debtors WHERE id = $1",
        fingerprint="f" * 16,
        params=("p" * 32,),
        access=read("public.debtors", "id", "iin"),
        row_filters=("public.debtors",),
        rows=1,
        duration_ms=1.25,
        outcome="served",
        sqlstate=None,
        reason=None,
        subjects=(),
        subject_count=0,
        seq=seq,
        prev_hash="0" * 64,
        hash=f"{seq:064x}",
        signature="s" * 64,
        extra={"note": "тест"},
    )
    return replace(base, **fields)


async def create_records_table(conn: Any) -> None:
    """The store's own schema, empty, with the partition of the records' month (T0)."""
    await conn.execute(f"DROP TABLE IF EXISTS {schema.SCHEMA}.records")
    await conn.execute(schema.CREATE_SCHEMA)
    await conn.execute(schema.create_partition(schema.month_start(T0)))


async def insert_records(conn: Any, records: list[AuditRecord]) -> None:
    await conn.execute(INSERT, "[" + ",".join(stored_json(r).decode() for r in records) + "]")


@contextmanager
def records_database(admin_dsn: str, tag: str, records: list[AuditRecord]) -> Iterator[str]:
    """A new database holding the red-team fixture and these audit records."""

    async def load(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await load_fixture_schema(conn)
            await create_records_table(conn)
            await insert_records(conn, records)
        finally:
            await conn.close()

    with new_database(admin_dsn, tag) as dsn:
        asyncio.run(load(dsn))
        yield dsn


class RecordingStore:
    """`AuditSearchStore` on a real pool; `written` holds the records the sink was given."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.written: list[AuditRecord] = []
        self.refuse = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        async with self._pool.acquire() as conn:
            yield conn

    def subject_hmac(self, of_table: str, key_value: str) -> str:
        return KEYS.subject_hmac(of_table, key_value)

    async def write(self, record: AuditRecord) -> AuditRecord:
        if self.refuse:
            raise AuditUnavailable()
        self.written.append(record)
        return record
