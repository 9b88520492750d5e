"""Audit records with chosen fields in a real `palata_audit.records`, for the watch's tests.

    await prepare_store(dsn)                       # audit + watch schema, idempotent
    async with connected(dsn) as conn:
        await reset_store(conn)                    # empty records and watch tables
        await insert_records(conn, [RecordRow(at=T, subjects=subjects(60))])

A `RecordRow` names only what detection reads (who, when, outcome, subjects, rows, gaps,
client, purpose, access, app); the other NOT NULL columns get placeholders, and each row gets
its own `id` and `seq` unless given. `subject_count` defaults to the number of `subjects`
(pass None for a statement whose shape hides them). The month partition of each row is made
on demand. Records written here are not chained: the rules never read the chain columns.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from proxy.audit.schema import CREATE_SCHEMA, create_partition, month_start
from proxy.watch.schema import CREATE_WATCH_SCHEMA

COUNT_SUBJECTS = -1  # subject_count's default: len(subjects)
WATCH_TABLES = (
    "records", "alerts", "suspensions", "detector_state", "watch_subjects", "assignments",
    "principal_seen",
)  # fmt: skip
_SEQ = itertools.count(1)


@dataclass(frozen=True)
class RecordRow:
    at: datetime
    principal: str = "collector"
    roles: tuple[str, ...] = ("collector",)
    outcome: str = "served"  # served, denied, failed
    subjects: tuple[str, ...] = ()
    subject_count: int | None = COUNT_SUBJECTS
    rows: int | None = None  # None: the number of subjects
    gaps: tuple[dict[str, Any], ...] = ()  # {"column", "entity", "count"}
    client: str | None = "10.0.0.1"
    purpose: str | None = None
    access: tuple[dict[str, Any], ...] = ()  # {"table", "column", "decision", "mask"}
    app: str | None = None
    kind: str = "select"
    door: str = "http"
    id: str | None = None  # default: r<seq>
    instance: str = "test"
    extra: dict[str, Any] = field(default_factory=dict)


def subjects(count: int, start: int = 0) -> tuple[str, ...]:
    """`count` distinct subject fingerprints (32 hex digits, like AuditKeys' HMACs)."""
    return tuple(f"{n:032x}" for n in range(start, start + count))


async def prepare_store(dsn: str) -> None:
    """The audit schema and the watch tables in the database at `dsn` (idempotent)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(CREATE_SCHEMA)
        await conn.execute(CREATE_WATCH_SCHEMA)
    finally:
        await conn.close()


@asynccontextmanager
async def connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def reset_store(conn: asyncpg.Connection) -> None:
    """No records and empty watch tables (each test case starts from nothing)."""
    names = ", ".join(f"palata_audit.{name}" for name in WATCH_TABLES)
    await conn.execute(f"TRUNCATE {names}")


async def insert_records(conn: asyncpg.Connection, rows: Sequence[RecordRow]) -> list[str]:
    """Insert `rows`; returns their ids in order."""
    for month in sorted({month_start(row.at.astimezone(UTC)) for row in rows}):
        await conn.execute(create_partition(month))
    values = [_values(row) for row in rows]
    await conn.executemany(INSERT, values)
    return [value[2] for value in values]


INSERT = """
INSERT INTO palata_audit.records (instance, seq, id, at, door, principal, app, roles, purpose,
  client, kind, sql, fingerprint, params, access, row_filters, rows, duration_ms, outcome,
  sqlstate, reason, subjects, subject_count, gaps, extra, prev_hash, hash, signature)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'SELECT 1', NULL, '{}', $12::jsonb, '{}',
  $13, 1.0, $14, $15, NULL, $16, $17, $18::jsonb, $19::jsonb, '', '', '')
"""


def _values(row: RecordRow) -> tuple[object, ...]:
    seq = next(_SEQ)
    count = len(row.subjects) if row.subject_count == COUNT_SUBJECTS else row.subject_count
    rows = len(row.subjects) if row.rows is None else row.rows
    sqlstate = "42501" if row.outcome == "denied" else None
    return (
        row.instance, seq, row.id or f"r{seq}", row.at, row.door, row.principal, row.app,
        list(row.roles), row.purpose, row.client, row.kind, json.dumps(list(row.access)), rows,
        row.outcome, sqlstate, list(row.subjects), count, json.dumps(list(row.gaps)),
        json.dumps(row.extra),
    )  # fmt: skip
