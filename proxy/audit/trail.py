"""The audit trail as the doors use it: the pipeline's records, and the search door's store.

`open_trail` opens the sink (`open_audit`) and hands out what the pipeline records with
(`AuditTrail`, or None when the audit is off — benchmarks only) and what `GET /v1/audit` reads
and records its own searches through (`TrailAccess`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from proxy.audit.record import AuditRecord
from proxy.audit.sink import ChainedAuditSink
from proxy.audit.startup import open_audit
from proxy.config import Settings
from proxy.pipeline.audit_entry import AuditEntries, AuditTrail


@dataclass(frozen=True)
class TrailAccess:
    """What the search door needs (`proxy.audit.search.AuditSearchStore`)."""

    sink: ChainedAuditSink

    def connection(self) -> AbstractAsyncContextManager[Any]:
        return self.sink.store.connection()

    def subject_hmac(self, of_table: str, key_value: str) -> str:
        return self.sink.keys.subject_hmac(of_table, key_value)

    async def write(self, record: AuditRecord) -> AuditRecord:
        return await self.sink.write(record)


@dataclass(frozen=True)
class OpenTrail:
    trail: AuditTrail | None  # None: the audit is off
    access: TrailAccess | None


@asynccontextmanager
async def open_trail(settings: Settings) -> AsyncIterator[OpenTrail]:
    instance = settings.proxy.instance
    async with open_audit(settings, instance) as sink:
        if not isinstance(sink, ChainedAuditSink):  # audit off: open_audit warned loudly
            yield OpenTrail(None, None)
            return
        entries = AuditEntries(instance, sink.keys, settings.audit.subject_cap)
        yield OpenTrail(AuditTrail(entries, sink), TrailAccess(sink))
