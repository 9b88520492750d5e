"""The audit store on a real PostgreSQL: schema and monthly partitions, batches read back
exactly (they still verify), the chain's tail, and retention leaving a signed anchor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from proxy.audit.chain import Chain, verify_chain
from proxy.audit.record import AuditRecord
from proxy.audit.store import AuditStore, open_store
from tests.audit.support import KEYS, awkward_record, make_record


@pytest.fixture
async def store(fresh_dsn: str) -> AsyncIterator[AuditStore]:
    async with open_store(fresh_dsn) as store:
        await store.ensure_schema(datetime(2026, 11, 25, tzinfo=UTC))
        await store.ensure_schema(datetime(2026, 11, 25, tzinfo=UTC))  # idempotent
        yield store


async def _read(store: AuditStore, instance: str) -> list[AuditRecord]:
    return [r async for r in store.read_chain(instance)]


async def test_a_batch_reads_back_exactly_and_verifies(store: AuditStore) -> None:
    chain = Chain("round-trip", KEYS)
    records = [chain.append(make_record(n, "round-trip")) for n in range(1, 11)]
    await store.write_batch(records)
    assert await _read(store, "round-trip") == records
    assert verify_chain("round-trip", await _read(store, "round-trip"), KEYS).problem is None
    tail = await store.chain_tail("round-trip")
    assert (tail.seq, tail.hash) == (10, records[-1].hash)


async def test_awkward_text_reads_back_exactly_and_verifies(store: AuditStore) -> None:
    chain = Chain("awkward", KEYS)
    linked = [chain.link(awkward_record(n, "awkward")) for n in range(1, 4)]
    await store.write_linked(linked)
    records = await _read(store, "awkward")
    assert records == [item.record for item in linked]
    assert verify_chain("awkward", records, KEYS).problem is None


async def test_replay_skips_what_the_store_holds(store: AuditStore) -> None:
    chain = Chain("replay", KEYS)
    records = [chain.append(make_record(n, "replay")) for n in range(1, 6)]
    await store.write_batch(records[:3])
    assert await store.write_missing(records) == 2
    assert await store.write_missing(records) == 0
    assert [r.seq for r in await _read(store, "replay")] == [1, 2, 3, 4, 5]


async def test_partitions_are_monthly_and_made_on_demand(store: AuditStore, fresh_dsn: str) -> None:
    chain = Chain("months", KEYS)
    march = datetime(2027, 3, 3, tzinfo=UTC)
    await store.write_batch([chain.append(make_record(1, "months", at=march))])
    conn = await asyncpg.connect(fresh_dsn)
    try:
        names = await conn.fetchval(
            "SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'palata_audit.records'::regclass"
        )
        public_acl = await conn.fetchval(
            "SELECT has_schema_privilege('public', 'palata_audit', 'USAGE')"
        )
    finally:
        await conn.close()
    assert {"records_202611", "records_202612", "records_202703"} <= set(names)
    assert public_acl is False


async def test_retention_drops_old_months_and_anchors_the_chain(store: AuditStore) -> None:
    chain = Chain("retention", KEYS)
    old = datetime(2020, 1, 10, tzinfo=UTC)
    records = [chain.append(make_record(n, "retention", at=old)) for n in (1, 2)]
    records += [chain.append(make_record(n, "retention")) for n in (3, 4)]
    await store.write_batch(records)
    anchors = await store.drop_expired(365, KEYS, datetime(2026, 11, 25, tzinfo=UTC))
    assert ("retention", 2) in [(a.instance, a.seq) for a in anchors]
    kept = await _read(store, "retention")
    assert [r.seq for r in kept] == [3, 4]
    stored = await store.anchors("retention")
    assert verify_chain("retention", kept, KEYS, stored).problem is None
    assert verify_chain("retention", kept, KEYS, {}).problem is not None
    assert (await store.chain_tail("retention")).seq == 4


async def test_an_unreachable_store_is_a_project_error() -> None:
    from proxy.audit.errors import AuditStoreUnavailable

    with pytest.raises(AuditStoreUnavailable, match="did not answer"):
        async with open_store("postgresql://postgres@127.0.0.1:1/none", 1.0):
            pass
