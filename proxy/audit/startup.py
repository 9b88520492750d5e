"""`open_audit`: the audit path of one proxy process, from settings to a running sink.

It connects to the audit database (`audit.dsn`, else the upstream), creates the schema and the
partitions ahead, claims the instance's chain (a session advisory lock: two processes with one
`proxy.instance` would fork the chain), replays a spool left by a crash or an outage, continues
the chain from the end the store (or the spool) holds, and runs the sink and a daily retention
task. On exit every accepted record is written before the connections close.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg

from proxy.audit.chain import Chain, ChainTail
from proxy.audit.errors import AuditStoreUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord
from proxy.audit.sink import AuditSink, ChainedAuditSink
from proxy.audit.spool import Spool
from proxy.audit.store import STORE_ERRORS, AuditStore, open_store
from proxy.config import Settings
from proxy.errors import ConfigError

log = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 24 * 3600.0


class UnauditedSink:
    """`audit.enabled = false` (benchmarks only): records are returned unchained, unwritten."""

    def __init__(self) -> None:
        self.keys = AuditKeys(os.urandom(32))  # fingerprints still work, but mean nothing later

    async def write(self, record: AuditRecord) -> AuditRecord:
        return record


@contextlib.asynccontextmanager
async def open_audit(settings: Settings, instance: str) -> AsyncIterator[AuditSink]:
    """The running audit sink of this process for the block."""
    audit = settings.audit
    if not audit.enabled:
        log.warning(
            "AUDIT IS OFF (audit.enabled = false): statements are served WITHOUT audit records. "
            "This is for benchmarks only and breaks the Chamber's registration of access."
        )
        yield UnauditedSink()
        return
    keys = AuditKeys(audit.key_bytes())
    dsn = audit.dsn or settings.upstream_dsn
    timeout = settings.upstream.connect_timeout_s
    async with claim_instance(dsn, instance, timeout), open_store(dsn, timeout) as store:
        await store.ensure_schema()
        spool = await asyncio.to_thread(Spool.open, audit.spool_dir, instance)
        tail = await _recover_spool(store, spool, instance)
        sink = ChainedAuditSink(Chain(instance, keys, tail), keys, store, spool, audit.batch_max)
        async with sink.running(), _retention(store, keys, audit.retention_days):
            yield sink


async def _recover_spool(store: AuditStore, spool: Spool, instance: str) -> ChainTail:
    """Replay what a previous run spooled; the chain's end, wherever it is."""
    records = await asyncio.to_thread(spool.read)
    try:
        replayed = await store.write_missing(records)
    except AuditStoreUnavailable as exc:
        log.warning("the audit spool stays pending: %s", exc.message)
        return ChainTail(records[-1].seq, records[-1].hash)  # spooled after the store's end
    if records:
        log.info("replayed %d of %d spooled audit records into the store", replayed, len(records))
    await asyncio.to_thread(spool.clear)
    return await store.chain_tail(instance)


@contextlib.asynccontextmanager
async def claim_instance(dsn: str, instance: str, connect_timeout_s: float) -> AsyncIterator[None]:
    """Hold the instance's chain for the block (released when the process dies, too)."""
    key = int.from_bytes(hashlib.sha256(f"palata-audit:{instance}".encode()).digest()[:8], "big")
    key -= 1 << 63 if key >= 1 << 63 else 0  # a signed bigint
    try:
        conn = await asyncpg.connect(dsn, timeout=connect_timeout_s)
    except STORE_ERRORS as exc:
        raise AuditStoreUnavailable(
            f"the audit database cannot be reached ({type(exc).__name__})"
        ) from None
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            raise ConfigError(
                f"another process is writing the audit chain of instance '{instance}': give "
                "every proxy process its own proxy.instance"
            )
        yield
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def _retention(store: AuditStore, keys: AuditKeys, days: int) -> AsyncIterator[None]:
    task = asyncio.create_task(_drop_expired_daily(store, keys, days), name="audit-retention")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _drop_expired_daily(store: AuditStore, keys: AuditKeys, days: int) -> None:
    while True:
        try:
            anchors = await store.drop_expired(days, keys, datetime.now(UTC))
        except AuditStoreUnavailable as exc:
            log.warning("audit retention skipped: %s", exc.message)
        else:
            for anchor in anchors:
                log.info("audit retention: %s up to seq %d dropped", anchor.instance, anchor.seq)
        await asyncio.sleep(RETENTION_INTERVAL_S)
