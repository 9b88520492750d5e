"""A write's audit record is durable before its change is committed; no record, no change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from proxy.audit.errors import AuditUnavailable
from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord
from proxy.pipeline import Pipeline
from proxy.pipeline.audit_entry import AuditEntries, AuditTrail
from proxy.upstream.pool import open_upstream
from tests.pipeline.fixture_db import ANALYST, KEY, direct, dsn, policies, run, settings_for

__all__ = ["dsn", "policies"]  # fixtures

KEYS = AuditKeys(b"a test audit key, 32 bytes or more")


class RecordingSink:
    """A sink that keeps what it is given, or refuses everything when `broken`."""

    keys = KEYS

    def __init__(self, *, broken: bool) -> None:
        self.broken = broken
        self.records: list[AuditRecord] = []

    async def write(self, record: AuditRecord) -> AuditRecord:
        if self.broken:
            raise AuditUnavailable()
        self.records.append(record)
        return record


@pytest.fixture(params=[False, True], ids=["sink-works", "sink-broken"])
async def audited(
    request: pytest.FixtureRequest, dsn: str, policies: Path
) -> AsyncIterator[tuple[Pipeline, RecordingSink]]:
    settings = settings_for(dsn, policies, pseudonym_key=KEY)
    sink = RecordingSink(broken=request.param)
    trail = AuditTrail(AuditEntries("test", KEYS, 100), sink)
    async with open_upstream(dsn, settings.upstream) as upstream:
        yield await Pipeline.build(settings, upstream, trail), sink


async def test_no_record_no_change(audited: tuple[Pipeline, RecordingSink], dsn: str) -> None:
    pipeline, sink = audited
    [(before,)] = await direct(dsn, "SELECT amount FROM payments WHERE id = 1")
    update = "UPDATE payments SET amount = amount + 1 WHERE id = 1"
    if sink.broken:
        with pytest.raises(AuditUnavailable):
            await run(pipeline, ANALYST, update)
        expected = before  # rolled back: the change was never committed unrecorded
    else:
        outcome = await run(pipeline, ANALYST, update)
        assert outcome.audit_id == sink.records[-1].id
        assert sink.records[-1].rows == 1 and sink.records[-1].subject_count == 1
        expected = before + 1
    [(after,)] = await direct(dsn, "SELECT amount FROM payments WHERE id = 1")
    assert after == expected
