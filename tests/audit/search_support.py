"""Audit records in a real `palata_audit.records` table, for the search tests.

The table is created here with the store's DDL (not partitioned: the search does not care), so
these tests depend only on the table's contract; records are inserted from `AuditRecord` values.
`RecordingStore` is the search doors' test double of `AuditSearchStore`: a real asyncpg pool,
the real subject hasher, and a sink that keeps what it is given (or refuses, when told to).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from proxy.audit.errors import AuditUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, ColumnAccess

KEYS = AuditKeys(b"search-tests-audit-key-0123456789abcdef")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

RECORDS_DDL = """
CREATE SCHEMA IF NOT EXISTS palata_audit;
DROP TABLE IF EXISTS palata_audit.records;
CREATE TABLE palata_audit.records (
  instance text NOT NULL, seq bigint NOT NULL, id text NOT NULL, at timestamptz NOT NULL,
  door text NOT NULL, principal text NOT NULL, app text, roles text[] NOT NULL, purpose text,
  client text, kind text NOT NULL, sql text, fingerprint text, params text[] NOT NULL,
  access jsonb NOT NULL, row_filters text[] NOT NULL, rows bigint,
  duration_ms double precision NOT NULL, outcome text NOT NULL, sqlstate text, reason text,
  subjects text[] NOT NULL, subject_count bigint, gaps jsonb NOT NULL, extra jsonb NOT NULL,
  prev_hash text NOT NULL, hash text NOT NULL, signature text NOT NULL,
  PRIMARY KEY (instance, seq, at)
);
CREATE INDEX ON palata_audit.records USING gin (subjects);
CREATE INDEX ON palata_audit.records (principal, at);
"""

INSERT = (
    "INSERT INTO palata_audit.records (instance, seq, id, at, door, principal, app, roles, "
    "purpose, client, kind, sql, fingerprint, params, access, row_filters, rows, duration_ms, "
    "outcome, sqlstate, reason, subjects, subject_count, gaps, extra, prev_hash, hash, "
    "signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "$15::text::jsonb, $16, $17, $18, $19, $20, $21, $22, $23, $24::text::jsonb, "
    "$25::text::jsonb, $26, $27, $28)"
)


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


def row_of(record: AuditRecord) -> tuple[Any, ...]:
    data = record.to_json()
    return (
        record.instance, record.seq, record.id, record.at, record.door, record.principal,
        record.app, list(record.roles), record.purpose, record.client, record.kind, record.sql,
        record.fingerprint, list(record.params), json.dumps(data["access"]),
        list(record.row_filters), record.rows, record.duration_ms, record.outcome,
        record.sqlstate, record.reason, list(record.subjects), record.subject_count,
        json.dumps(data["gaps"]), json.dumps(record.extra), record.prev_hash, record.hash,
        record.signature,
    )  # fmt: skip


async def create_records_table(conn: Any) -> None:
    await conn.execute(RECORDS_DDL)


async def insert_records(conn: Any, records: list[AuditRecord]) -> None:
    await conn.executemany(INSERT, [row_of(record) for record in records])


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

    async def write(self, record: AuditRecord) -> None:
        if self.refuse:
            raise AuditUnavailable()
        self.written.append(record)
