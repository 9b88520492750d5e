"""The audit sink: the one door every statement's record passes before its result is
released (the seam `AuditSink`; `ChainedAuditSink` is the real one, built by `open_audit`).

`write` queues a record and returns it chained once it is durable. One writer task takes the
queue in arrival order: whatever has arrived (up to `batch_max`) is chained and written as one
batch, with no waiting for more, so under load batches grow by themselves and a lone statement
pays one round trip. A batch goes to the store in one transaction; if the store fails, to the
spool (fsync'd), and later batches follow it there, keeping the chain's order, until a
background task has replayed the spool into the store (with back-off). If the spool fails too,
the batch's statements are refused with `AuditUnavailable`, and so is every later one until
the chain's end has been read back from the store (the failed batch may or may not have
landed), so no seq is ever used twice or skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from proxy.audit.chain import Chain, Linked
from proxy.audit.errors import AuditSpoolCorrupt, AuditStoreUnavailable, AuditUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord
from proxy.audit.spool import Spool
from proxy.audit.store import AuditStore

log = logging.getLogger(__name__)

REPLAY_FIRST_DELAY_S = 0.2
REPLAY_MAX_DELAY_S = 30.0


class AuditSink(Protocol):
    keys: AuditKeys

    async def write(self, record: AuditRecord) -> AuditRecord:
        """The record, chained, once it is durable; AuditUnavailable when it cannot be."""


@dataclass
class AuditMetrics:
    """Plain counters for the metrics endpoint (one sink per process)."""

    records_written: int = 0  # straight into the store
    batches_written: int = 0
    records_spooled: int = 0
    batches_spooled: int = 0
    records_replayed: int = 0  # from the spool into the store
    store_failures: int = 0
    records_refused: int = 0  # statements refused because their record was not durable


_Pending = tuple[AuditRecord, "asyncio.Future[AuditRecord]"]
_Linked = tuple[Linked, "asyncio.Future[AuditRecord]"]


class ChainedAuditSink:
    """Chains records in arrival order and makes them durable in batches."""

    def __init__(
        self, chain: Chain, keys: AuditKeys, store: AuditStore, spool: Spool, batch_max: int
    ) -> None:
        self.keys = keys
        self.metrics = AuditMetrics()
        self._chain = chain
        self._store = store
        self._spool = spool
        self._batch_max = batch_max
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._lock = asyncio.Lock()  # one of: a batch being written, a replay
        self._spooling = spool.pending  # later batches follow spooled ones until replayed
        self._resync = False  # the chain's end is unknown until read back from the store
        self._closing = False
        self._replay_wanted = asyncio.Event()
        if spool.pending:
            self._replay_wanted.set()

    @property
    def store(self) -> AuditStore:
        return self._store

    @property
    def spooling(self) -> bool:
        """Whether records go to (or wait in) the spool until the store takes them again."""
        return self._spooling or self._resync

    async def write(self, record: AuditRecord) -> AuditRecord:
        if self._closing:
            raise AuditUnavailable(
                "the statement was refused because it could not be audited: "
                "the proxy is shutting down"
            )
        if self._resync:
            self.metrics.records_refused += 1
            raise AuditUnavailable()
        future: asyncio.Future[AuditRecord] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((record, future))
        return await future

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ChainedAuditSink]:
        """The writer and replay tasks for the block; on exit every accepted record is written
        (to the store or the spool) before the tasks end."""
        writer = asyncio.create_task(self._write_batches(), name="audit-writer")
        replayer = asyncio.create_task(self._replay_when_wanted(), name="audit-replayer")
        try:
            yield self
        finally:
            self._closing = True
            self._queue.put_nowait(None)
            await writer
            replayer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await replayer

    async def _write_batches(self) -> None:
        while True:
            batch, stop = self._next_batch(await self._queue.get())
            try:
                await self._write_batch(batch)
            except Exception as exc:  # a bug must not leave statements waiting forever
                log.error("the audit writer failed (%s): refusing statements", type(exc).__name__)
                log.debug("audit writer failure", exc_info=True)
                self._resync = True
                self._replay_wanted.set()
                self._refuse(batch, AuditUnavailable())
            if stop:
                return

    def _next_batch(self, first: _Pending | None) -> tuple[list[_Pending], bool]:
        # what is queued now, and no more: waiting for a fuller batch would cost latency
        batch: list[_Pending] = []
        item = first
        while item is not None:
            batch.append(item)
            if len(batch) >= self._batch_max or self._queue.empty():
                return batch, False
            item = self._queue.get_nowait()
        return batch, True

    async def _write_batch(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        async with self._lock:
            if self._resync:
                self._refuse(batch, AuditUnavailable())
                return
            linked = self._link_batch(batch)
            try:
                await self._persist([item for item, _ in linked])
            except AuditUnavailable as exc:
                self._refuse(linked, exc)
                return
        for item, future in linked:
            if not future.done():
                future.set_result(item.record)

    def _link_batch(self, batch: list[_Pending]) -> list[_Linked]:
        linked: list[_Linked] = []
        for record, future in batch:
            try:
                linked.append((self._chain.link(record), future))
            except ValueError as exc:  # a malformed record (no time zone, another instance)
                if not future.done():
                    future.set_exception(exc)
        return linked

    async def _persist(self, linked: list[Linked]) -> None:
        if not linked:
            return
        if not self._spooling:
            try:
                await self._store.write_linked(linked)
            except AuditStoreUnavailable as exc:
                self.metrics.store_failures += 1
                log.warning("%s; spooling audit records locally until it is back", exc.message)
                self._spooling = True
                self._replay_wanted.set()
            else:
                self.metrics.records_written += len(linked)
                self.metrics.batches_written += 1
                return
        await self._spool_batch(linked)

    async def _spool_batch(self, linked: list[Linked]) -> None:
        try:
            await asyncio.to_thread(self._spool.append_stored, [item.stored for item in linked])
        except OSError as exc:
            log.error(
                "the audit spool cannot be written (%s): refusing statements until the audit "
                "store answers",
                exc.strerror or type(exc).__name__,
            )
            self._resync = True
            self._replay_wanted.set()
            raise AuditUnavailable() from None
        self.metrics.records_spooled += len(linked)
        self.metrics.batches_spooled += 1

    def _refuse(self, batch: list[_Pending] | list[_Linked], error: AuditUnavailable) -> None:
        self.metrics.records_refused += len(batch)
        for _, future in batch:
            if not future.done():
                future.set_exception(AuditUnavailable(error.message))

    async def _replay_when_wanted(self) -> None:
        delay = REPLAY_FIRST_DELAY_S
        while True:
            await self._replay_wanted.wait()
            if await self.replay():
                delay = REPLAY_FIRST_DELAY_S
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, REPLAY_MAX_DELAY_S)

    async def replay(self) -> bool:
        """Move the spool's records into the store and, after a failed batch, read the chain's
        end back; whether the sink is healthy again."""
        async with self._lock:
            try:
                if self._resync:
                    await asyncio.to_thread(self._spool.reopen)
                records = await asyncio.to_thread(self._spool.read)
                replayed = await self._store.write_missing(records)
                await asyncio.to_thread(self._spool.clear)
                if self._resync:
                    self._chain.tail = await self._store.chain_tail(self._chain.instance)
            except (AuditStoreUnavailable, AuditSpoolCorrupt, OSError) as exc:
                log.info("audit replay not done yet (%s)", _reason(exc))
                return False
            self.metrics.records_replayed += replayed
            if records:
                log.info("replayed %d spooled audit records into the store", len(records))
            self._spooling = self._resync = False
            self._replay_wanted.clear()
            return True


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return getattr(exc, "message", type(exc).__name__)
