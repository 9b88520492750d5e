"""The audit store: batches of chained records into `palata_audit.records`, chain tails and
chains read back for verification, and retention (asyncpg I/O; the DDL is in `schema`).

Foreign errors (socket, timeout, asyncpg) become `AuditStoreUnavailable` here, once; the sink
falls back to its spool on that error. A batch is one transaction: all of it is durable, or
none of it. Replaying a spool skips records the store already holds (same instance and seq),
because a batch whose commit was acknowledged by the server but not by the network may be in
both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

import asyncpg

from proxy.audit import schema
from proxy.audit.chain import Anchor, ChainTail, Linked, sign_anchor
from proxy.audit.codec import record_from_row
from proxy.audit.errors import AuditStoreUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, stored_json

log = logging.getLogger(__name__)

STORE_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. a connection ended by the server mid-statement
)
COMMAND_TIMEOUT_S = 10.0
# any one store operation, connecting included: past it the sink spools instead of waiting
OPERATION_TIMEOUT_S = 10.0
AUDIT_APPLICATION = "palata-audit"  # the writers' application_name: the detector waits for them
READ_PREFETCH = 1000
_SELECT = ", ".join(
    f"{c}::text AS {c}" if c in ("access", "gaps", "extra") else c for c in schema.COLUMNS
)

T = TypeVar("T")
# one statement per batch: the records go as one JSON array, turned into rows by the server
# (its own C code, on its own core), so the proxy serialises each record once (`Chain.link`)
_COLUMN_LIST = ", ".join(schema.COLUMNS)
INSERT = (
    f"INSERT INTO {schema.SCHEMA}.records ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
    f"FROM json_populate_recordset(NULL::{schema.SCHEMA}.records, $1::json)"
)


class AuditStore:
    """The audit tables on one small asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._months: set[date] = set()

    def connection(self) -> AbstractAsyncContextManager[Any]:
        """A connection of the store's pool, for readers (search, export)."""
        return cast(AbstractAsyncContextManager[Any], self._pool.acquire())

    async def ensure_schema(self, now: datetime | None = None) -> None:
        """Create the schema, tables and this and next month's partitions (idempotent)."""
        await self._guard(self._ensure_schema)
        month = schema.month_start(now or datetime.now(UTC))
        await self.ensure_partitions([month, schema.next_month(month)])

    async def _ensure_schema(self) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", schema.DDL_LOCK_KEY)
            await conn.execute(schema.CREATE_SCHEMA)

    async def ensure_partitions(self, months: Sequence[date]) -> None:
        missing = sorted(set(months) - self._months)
        if missing:
            await self._guard(lambda: self._create_partitions(missing))

    async def _create_partitions(self, months: Sequence[date]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", schema.DDL_LOCK_KEY)
            for month in months:
                await conn.execute(schema.create_partition(month))
        self._months.update(months)

    async def write_batch(self, records: Sequence[AuditRecord]) -> None:
        """All the records in one transaction; AuditStoreUnavailable if not written."""
        await self.write_linked([Linked(r, stored_json(r)) for r in records])

    async def write_linked(self, linked: Sequence[Linked]) -> None:
        """`write_batch` for records the chain serialised already (the sink's way)."""
        await self.ensure_partitions([schema.month_start(item.record.at) for item in linked])
        await self._guard(lambda: self._insert(linked))

    async def write_missing(self, records: Sequence[AuditRecord]) -> int:
        """The records the store does not hold yet (by instance and seq); how many were new."""
        if not records:
            return 0
        await self.ensure_partitions([schema.month_start(r.at) for r in records])
        return await self._guard(lambda: self._copy_missing(records))

    async def _insert(self, linked: Sequence[Linked]) -> None:
        # one statement, one round trip, committed as the implicit transaction it runs in
        async with self._pool.acquire() as conn:
            await _insert_on(conn, [item.stored for item in linked])

    async def _copy_missing(self, records: Sequence[AuditRecord]) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            held = await conn.fetch(
                f"SELECT instance, seq FROM {schema.SCHEMA}.records "
                "WHERE (instance, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))",
                [r.instance for r in records],
                [r.seq for r in records],
            )
            known = {(row["instance"], row["seq"]) for row in held}
            new = [r for r in records if (r.instance, r.seq) not in known]
            if new:
                await _insert_on(conn, [stored_json(r) for r in new])
            return len(new)

    async def chain_tail(self, instance: str) -> ChainTail:
        """Where the instance's chain ends in the store (seq 0 when it holds none)."""
        row = await self._guard(lambda: self._fetchrow_tail(instance))
        if row is not None:
            return ChainTail(row["seq"], row["hash"])
        anchors = await self.anchors(instance)
        if anchors:  # every record dropped by retention: the chain goes on from the anchor
            last = max(anchors.values(), key=lambda a: a.seq)
            return ChainTail(last.seq, last.hash)
        return ChainTail()

    async def _fetchrow_tail(self, instance: str) -> Any:
        async with self._pool.acquire() as conn:
            return await conn.fetchrow(
                f"SELECT seq, hash FROM {schema.SCHEMA}.records WHERE instance = $1 "
                "ORDER BY seq DESC LIMIT 1",
                instance,
            )

    async def instances(self) -> list[str]:
        async def fetch() -> list[str]:
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(
                    f"SELECT DISTINCT instance FROM {schema.SCHEMA}.records UNION "
                    f"SELECT instance FROM {schema.SCHEMA}.anchors ORDER BY 1"
                )
            return [row["instance"] for row in rows]

        return await self._guard(fetch)

    async def anchors(self, instance: str) -> dict[int, Anchor]:
        async def fetch() -> dict[int, Anchor]:
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(
                    f"SELECT instance, seq, hash, signature FROM {schema.SCHEMA}.anchors "
                    "WHERE instance = $1",
                    instance,
                )
            return {row["seq"]: Anchor(**dict(row)) for row in rows}

        return await self._guard(fetch)

    async def read_chain(self, instance: str, after_seq: int = 0) -> AsyncIterator[AuditRecord]:
        """The instance's records after `after_seq` in seq order, streamed through a cursor."""
        try:
            async with self._pool.acquire() as conn, conn.transaction(readonly=True):
                cursor = conn.cursor(
                    f"SELECT {_SELECT} FROM {schema.SCHEMA}.records "
                    "WHERE instance = $1 AND seq > $2 ORDER BY seq",
                    instance,
                    after_seq,
                    prefetch=READ_PREFETCH,
                )
                async for row in cursor:
                    yield record_from_row(row)
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from None

    async def drop_expired(
        self, retention_days: int, keys: AuditKeys, now: datetime
    ) -> list[Anchor]:
        """Drop the monthly partitions wholly older than `retention_days`, each in one
        transaction with a signed anchor per instance (the last record it held of that
        instance's chain), so verification knows where each chain now starts."""
        cutoff = (now - timedelta(days=retention_days)).date()
        partitions = await self._guard(self._partitions)
        anchors: list[Anchor] = []
        for name, month in partitions:
            if schema.next_month(month) <= cutoff:
                anchors += await self._guard(partial(self._drop_one, name, month, keys, now))
        return anchors

    async def _partitions(self) -> list[tuple[str, date]]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = $1::regclass",
                f"{schema.SCHEMA}.records",
            )
        found = [(row["relname"], schema.month_of_partition(row["relname"])) for row in rows]
        return sorted((name, month) for name, month in found if month is not None)

    async def _drop_one(
        self, name: str, month: date, keys: AuditKeys, now: datetime
    ) -> list[Anchor]:
        upper = schema.next_month(month)
        dropped_before = datetime(upper.year, upper.month, 1, tzinfo=UTC)
        async with self._pool.acquire() as conn, conn.transaction():
            lasts = await conn.fetch(
                f"SELECT DISTINCT ON (instance) instance, seq, hash FROM {schema.SCHEMA}.{name} "
                "ORDER BY instance, seq DESC"
            )
            anchors = [sign_anchor(keys, r["instance"], r["seq"], r["hash"]) for r in lasts]
            await conn.executemany(
                f"INSERT INTO {schema.SCHEMA}.anchors "
                "(instance, seq, hash, dropped_before, at, signature) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                [(a.instance, a.seq, a.hash, dropped_before, now, a.signature) for a in anchors],
            )
            await conn.execute(f"DROP TABLE {schema.SCHEMA}.{name}")
        self._months.discard(month)
        return anchors

    async def _guard(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(OPERATION_TIMEOUT_S):
                return await operation()
        except STORE_ERRORS as exc:
            raise _unavailable(exc) from None


async def _insert_on(conn: asyncpg.Connection, stored: Sequence[bytes]) -> None:
    await conn.execute(INSERT, (b"[" + b",".join(stored) + b"]").decode())


async def _nothing_to_reset(conn: Any) -> None:
    """What the pool runs on a connection coming back: nothing. asyncpg's default reset costs a
    round trip per batch, and the store's own statements leave no session state behind."""


def _unavailable(exc: BaseException) -> AuditStoreUnavailable:
    # the type and SQLSTATE only: a database message may quote a value
    code = getattr(exc, "sqlstate", None)
    detail = f"{type(exc).__name__}" + (f", SQLSTATE {code}" if code else "")
    return AuditStoreUnavailable(f"the audit store did not answer ({detail})")


@asynccontextmanager
async def open_store(dsn: str, connect_timeout_s: float = 5.0) -> AsyncIterator[AuditStore]:
    """A small pool on the audit database, closed on exit."""
    try:
        pool = await asyncpg.create_pool(
            dsn,
            # no floor: asyncpg's floor upkeep holds connections back while the server refuses
            # logins; idle connections are kept (no inactivity limit) instead
            min_size=0,
            max_size=2,
            max_inactive_connection_lifetime=0,
            timeout=connect_timeout_s,
            command_timeout=COMMAND_TIMEOUT_S,
            server_settings={"application_name": AUDIT_APPLICATION},
            reset=_nothing_to_reset,
        )
    except STORE_ERRORS as exc:
        raise _unavailable(exc) from None
    try:
        store = AuditStore(pool)
        await store._guard(partial(pool.fetchval, "SELECT 1"))  # reachable now, or fail at start
        yield store
    finally:
        await pool.close()
