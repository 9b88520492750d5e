"""The detector's measure as `serve` wires it: a `suspend` finding suspends its principal in the
tick's transaction and the measure is audited; an unauthenticated actor is no principal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import pytest

from proxy.audit.record import AuditRecord
from proxy.audit.trail import TrailAccess
from proxy.config.settings import Settings
from proxy.pipeline import Pipeline
from proxy.watch.model import Alert, Finding
from proxy.watch.startup import WATCH_PRINCIPAL, _suspending
from proxy.watch.store import store_findings
from proxy.watch.suspensions import active_suspensions
from tests.watch.records import connected, prepare_store

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


@dataclass
class Written:
    """The audit trail as `_suspending` uses it: what was written to it."""

    records: list[AuditRecord] = field(default_factory=list)

    async def write(self, record: AuditRecord) -> AuditRecord:
        self.records.append(record)
        return record


class FixedClock:
    """The pipeline as `_suspending` uses it: its clock."""

    @staticmethod
    def clock() -> datetime:
        return NOW


def finding(actor: str) -> Finding:
    return Finding(
        rule="bulk_read",
        severity="high",
        action="suspend",
        actor=actor,
        window_start=NOW,
        window_end=NOW,
        bucket=NOW,
        measure={"distinct_subjects": 60, "threshold": 50},
        record_ids=("r1",),
        summary="60 distinct subjects within 1m (threshold 50)",
    )


@pytest.mark.parametrize(
    ("actor", "suspended", "audited"),
    [
        ("collector", ("collector",), ["principal_suspended"]),
        ("client:10.0.0.9", (), []),
    ],
)
def test_a_suspend_finding_suspends_its_principal_and_is_audited(
    fresh_dsn: str, actor: str, suspended: tuple[str, ...], audited: list[str]
) -> None:
    written = Written()
    on_suspend = _suspending(Settings(), cast(TrailAccess, written), cast(Pipeline, FixedClock()))

    async def run() -> tuple[tuple[str, ...], Alert]:
        await prepare_store(fresh_dsn)
        async with connected(fresh_dsn) as conn:
            await conn.execute("TRUNCATE palata_audit.suspensions, palata_audit.alerts CASCADE")
            async with conn.transaction():
                [alert] = await store_findings(conn, [finding(actor)], "test", NOW, "none")
                await on_suspend(conn, alert.finding, alert)
            active = await active_suspensions(conn)
        return tuple(s.principal for s in active), alert

    principals, alert = asyncio.run(run())
    assert principals == suspended
    assert [r.kind for r in written.records] == audited
    for record in written.records:
        assert record.principal == WATCH_PRINCIPAL
        assert record.extra == {"target": actor, "alert": alert.id, "rule": "bulk_read"}
