"""The detector's writes on a real PostgreSQL: the watch tables created once however many
instances start together, watermarks that only move forward, and alerts stored once per
dedup key with only the new ones returned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from proxy.audit.schema import CREATE_SCHEMA, create_partition
from proxy.watch.model import Finding
from proxy.watch.store import advance, ensure_watch_schema, evaluated_to, store_findings

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HOUR = NOW.replace(minute=0)


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fresh_dsn)
    await connection.execute(CREATE_SCHEMA + create_partition(date(2026, 11, 1)))
    await ensure_watch_schema(connection)
    await connection.execute("TRUNCATE palata_audit.alerts, palata_audit.detector_state CASCADE")
    try:
        yield connection
    finally:
        await connection.close()


def finding(actor: str, bucket: datetime = HOUR, rule: str = "bulk_read") -> Finding:
    return Finding(
        rule=rule,
        severity="high",
        action="alert",
        actor=actor,
        window_start=NOW - timedelta(minutes=1),
        window_end=NOW,
        bucket=bucket,
        measure={"subjects": 50, "threshold": 50, "unit": "subjects"},
        record_ids=("r-1", "r-2"),
        summary="50 distinct subjects in 1m (threshold 50)",
    )


async def test_the_watch_schema_is_made_once_by_instances_starting_together(
    fresh_dsn: str, conn: Any
) -> None:
    others = [await asyncpg.connect(fresh_dsn) for _ in range(4)]
    try:
        await asyncio.gather(*(ensure_watch_schema(other) for other in others))
    finally:
        for other in others:
            await other.close()
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'palata_audit' ORDER BY 1"
    )
    assert {"alerts", "detector_state", "suspensions", "principal_seen"} <= {
        t["tablename"] for t in tables
    }


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        pytest.param([], None, id="never-run"),
        pytest.param([NOW], NOW, id="first-run"),
        pytest.param([NOW, NOW + timedelta(seconds=10)], NOW + timedelta(seconds=10), id="forward"),
        pytest.param([NOW, NOW - timedelta(seconds=10)], NOW, id="never-backwards"),
    ],
)
async def test_a_watermark_moves_forward_only(
    conn: Any, moves: list[datetime], expected: datetime | None
) -> None:
    for to in moves:
        await advance(conn, "bulk_read", to, "proxy-1", NOW)
    assert await evaluated_to(conn, "bulk_read") == expected
    assert await evaluated_to(conn, "probing") is None


@pytest.mark.parametrize(
    ("stored_before", "batch", "new_actors"),
    [
        pytest.param([], [finding("alice")], ["alice"], id="new"),
        pytest.param([finding("alice")], [finding("alice")], [], id="same-key-again"),
        pytest.param([], [finding("alice"), finding("alice")], ["alice"], id="same-key-twice"),
        pytest.param(
            [finding("alice")],
            [finding("alice", HOUR + timedelta(hours=1))],
            ["alice"],
            id="next-bucket",
        ),
        pytest.param(
            [finding("alice")], [finding("alice", rule="probing")], ["alice"], id="other-rule"
        ),
        pytest.param(
            [finding("alice")], [finding("alice"), finding("bob")], ["bob"], id="only-the-new"
        ),
    ],
)
async def test_alerts_are_stored_once_per_dedup_key(
    conn: Any, stored_before: list[Finding], batch: list[Finding], new_actors: list[str]
) -> None:
    await store_findings(conn, stored_before, "proxy-1", NOW, "none")
    alerts = await store_findings(conn, batch, "proxy-2", NOW, "pending")
    assert [a.finding.actor for a in alerts] == new_actors
    assert all(a.instance == "proxy-2" and a.delivery == "pending" for a in alerts)
    count = await conn.fetchval("SELECT count(*) FROM palata_audit.alerts")
    assert count == len({f.dedup_key for f in stored_before + batch})


@pytest.mark.parametrize("delivery", ["none", "pending"])
async def test_an_alert_reads_back_as_stored(conn: Any, delivery: Any) -> None:
    (alert,) = await store_findings(conn, [finding("alice")], "proxy-1", NOW, delivery)
    row = await conn.fetchrow(
        "SELECT id::text, dedup_key, rule, severity, action, actor, bucket, measure::text, "
        "record_ids, summary, created_at, instance, delivery FROM palata_audit.alerts"
    )
    assert dict(row) == {
        "id": alert.id,
        "dedup_key": f"bulk_read|alice|{HOUR.isoformat()}",
        "rule": "bulk_read",
        "severity": "high",
        "action": "alert",
        "actor": "alice",
        "bucket": HOUR,
        "measure": '{"unit": "subjects", "subjects": 50, "threshold": 50}',
        "record_ids": ["r-1", "r-2"],
        "summary": "50 distinct subjects in 1m (threshold 50)",
        "created_at": NOW,
        "instance": "proxy-1",
        "delivery": delivery,
    }
