"""The sink on a real PostgreSQL: concurrent statements all durable and chained; an outage of
the store spooled and replayed; with neither store nor spool, statements refused, and the
chain whole afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from proxy.audit.chain import verify_chain
from proxy.audit.errors import AuditUnavailable
from proxy.audit.record import AuditRecord
from proxy.audit.sink import ChainedAuditSink
from proxy.audit.startup import UnauditedSink, open_audit
from proxy.audit.store import open_store
from proxy.errors import ConfigError
from tests.audit.conftest import AuditDatabase
from tests.audit.support import KEYS, make_record


async def stored(db: AuditDatabase, instance: str) -> list[AuditRecord]:
    async with open_store(db.admin_dsn) as store:
        return [r async for r in store.read_chain(instance)]


async def until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


async def write_all(sink: object, instance: str, numbers: range) -> list[AuditRecord]:
    write: Callable[[AuditRecord], Awaitable[AuditRecord]] = sink.write  # type: ignore[attr-defined]
    return list(await asyncio.gather(*(write(make_record(n, instance)) for n in numbers)))


async def test_concurrent_writes_are_all_durable_and_chained(
    audit_db: AuditDatabase, tmp_path: Path
) -> None:
    async with open_audit(audit_db.settings(tmp_path, batch_max=64), "concurrent") as sink:
        acknowledged = await write_all(sink, "concurrent", range(1, 501))
        assert isinstance(sink, ChainedAuditSink)
        assert 1 < sink.metrics.batches_written < 500, "batches grow under load"
    assert sorted(r.seq for r in acknowledged) == list(range(1, 501))
    records = await stored(audit_db, "concurrent")
    assert records == sorted(acknowledged, key=lambda r: r.seq)
    assert verify_chain("concurrent", records, KEYS).problem is None


async def test_an_outage_is_spooled_then_replayed(audit_db: AuditDatabase, tmp_path: Path) -> None:
    async with open_audit(audit_db.settings(tmp_path), "outage") as sink:
        assert isinstance(sink, ChainedAuditSink)
        await write_all(sink, "outage", range(1, 6))
        await audit_db.take_down()
        try:
            await write_all(sink, "outage", range(6, 11))  # served: durable in the spool
            assert sink.metrics.records_spooled == 5
            assert (tmp_path / "outage.jsonl").stat().st_size > 0
        finally:
            await audit_db.bring_back()
        await until(lambda: sink.metrics.records_replayed == 5)
        await write_all(sink, "outage", range(11, 16))
    records = await stored(audit_db, "outage")
    assert [r.seq for r in records] == list(range(1, 16))
    assert verify_chain("outage", records, KEYS).problem is None
    assert (tmp_path / "outage.jsonl").stat().st_size == 0


async def test_with_neither_store_nor_spool_statements_are_refused(
    audit_db: AuditDatabase, tmp_path: Path
) -> None:
    async with open_audit(audit_db.settings(tmp_path), "neither") as sink:
        await write_all(sink, "neither", range(1, 4))
        (tmp_path / "neither.jsonl").mkdir()  # the spool file cannot be written
        await audit_db.take_down()
        try:
            with pytest.raises(AuditUnavailable) as caught:
                await sink.write(make_record(4, "neither"))
            assert (caught.value.sqlstate, caught.value.http_status) == ("58030", 503)
            assert "could not be audited" in caught.value.message
            with pytest.raises(AuditUnavailable):  # and every later one, until resynced
                await sink.write(make_record(5, "neither"))
        finally:
            (tmp_path / "neither.jsonl").rmdir()
            await audit_db.bring_back()
        assert isinstance(sink, ChainedAuditSink)
        await until(lambda: not sink._resync)
        await write_all(sink, "neither", range(6, 9))
    records = await stored(audit_db, "neither")
    assert [r.seq for r in records] == list(range(1, 7))
    assert verify_chain("neither", records, KEYS).problem is None


async def test_two_processes_cannot_share_an_instance(
    audit_db: AuditDatabase, tmp_path: Path
) -> None:
    async with open_audit(audit_db.settings(tmp_path), "twin"):
        with pytest.raises(ConfigError, match=r"its own proxy\.instance"):
            async with open_audit(audit_db.settings(tmp_path / "b"), "twin"):
                pass


async def test_audit_off_writes_nothing(audit_db: AuditDatabase, tmp_path: Path) -> None:
    async with open_audit(audit_db.settings(tmp_path, enabled="false"), "off") as sink:
        assert isinstance(sink, UnauditedSink)
        record = await sink.write(make_record(1, "off"))
        assert record.seq == 0
