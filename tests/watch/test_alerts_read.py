"""Listing and acknowledging alerts in a real `palata_audit.alerts`: filters, the keyset cursor,
and one acknowledgement per alert (the second is refused with 55000 / HTTP 409).

`stored_alert` and `alerts_database` are used by the webhook and HTTP tests too."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from proxy.audit.schema import CREATE_SCHEMA, create_partition, month_start
from proxy.watch.alerts_read import (
    AlertAlreadyAcknowledged,
    AlertQuery,
    InvalidAlertQuery,
    acknowledge,
    list_alerts,
)
from proxy.watch.model import Alert, Finding
from proxy.watch.schema import CREATE_WATCH_SCHEMA
from tests.conftest import new_database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def stored_alert(n: int, **fields: Any) -> Alert:
    """Alert n: the collector's bulk read created at T0 + n minutes, unless told otherwise."""
    finding = Finding(
        rule=fields.pop("rule", "bulk_read"),
        severity=fields.pop("severity", "high"),
        action=fields.pop("action", "alert"),
        actor=fields.pop("actor", "collector"),
        window_start=T0 + timedelta(minutes=n - 1),
        window_end=T0 + timedelta(minutes=n),
        bucket=T0 + timedelta(hours=n),
        measure={"distinct_subjects": 60 + n, "threshold": 50},
        record_ids=(f"rec-{n}a", f"rec-{n}b"),
        summary=f"{60 + n} distinct subjects in 1m (threshold 50)",
    )
    return Alert(
        id=str(uuid.UUID(int=n)),
        finding=finding,
        created_at=T0 + timedelta(minutes=n),
        instance="palata-proxy-test",
        **fields,
    )


async def insert_alerts(conn: Any, alerts: list[Alert]) -> None:
    for alert in alerts:
        f = alert.finding
        await conn.execute(
            "INSERT INTO palata_audit.alerts (id, dedup_key, rule, severity, action, actor, "
            "window_start, window_end, bucket, measure, record_ids, summary, created_at, "
            "instance, acknowledged_at, acknowledged_by, note, delivery) VALUES ($1::uuid, $2, "
            "$3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12, $13, $14, $15, $16, $17, $18)",
            alert.id,
            f.dedup_key,
            f.rule,
            f.severity,
            f.action,
            f.actor,
            f.window_start,
            f.window_end,
            f.bucket,
            json.dumps(dict(f.measure)),
            list(f.record_ids),
            f.summary,
            alert.created_at,
            alert.instance,
            alert.acknowledged_at,
            alert.acknowledged_by,
            alert.note,
            alert.delivery,
        )


async def create_watch_tables(conn: Any) -> None:
    await conn.execute(CREATE_SCHEMA)
    await conn.execute(create_partition(month_start(T0)))
    await conn.execute(CREATE_WATCH_SCHEMA)


@contextmanager
def alerts_database(admin_dsn: str, tag: str, alerts: list[Alert]) -> Iterator[str]:
    """A new database with the audit and watch tables, holding `alerts`."""

    async def load(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await create_watch_tables(conn)
            await insert_alerts(conn, alerts)
        finally:
            await conn.close()

    with new_database(admin_dsn, tag) as dsn:
        asyncio.run(load(dsn))
        yield dsn


ACKED = T0 + timedelta(hours=2)
ALERTS = [
    stored_alert(1),
    stored_alert(2, rule="probing", severity="medium", actor="client:10.0.0.9"),
    stored_alert(3, acknowledged_at=ACKED, acknowledged_by="dpo", note="checked"),
    stored_alert(4, actor="intern"),
    stored_alert(5),
]


@pytest.fixture(scope="module")
def dsn(admin_dsn: str) -> Iterator[str]:
    with alerts_database(admin_dsn, "alerts_read", ALERTS) as dsn:
        yield dsn


def ids(alerts: list[Alert]) -> list[int]:
    return [uuid.UUID(a.id).int for a in alerts]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(AlertQuery(), [5, 4, 2, 1], id="open-by-default"),
        pytest.param(AlertQuery(status="acknowledged"), [3], id="acknowledged"),
        pytest.param(AlertQuery(status="all"), [5, 4, 3, 2, 1], id="all"),
        pytest.param(AlertQuery(status="all", rule="probing"), [2], id="rule"),
        pytest.param(AlertQuery(actor="intern"), [4], id="actor"),
        pytest.param(AlertQuery(severity="medium"), [2], id="severity"),
        pytest.param(
            AlertQuery(
                status="all",
                since=T0 + timedelta(minutes=2),
                until=T0 + timedelta(minutes=4),
            ),
            [3, 2],
            id="since-inclusive-until-exclusive",
        ),
        pytest.param(AlertQuery(actor="nobody"), [], id="nothing"),
    ],
)
async def test_filters(dsn: str, query: AlertQuery, expected: list[int]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        alerts, cursor = await list_alerts(conn, query)
    finally:
        await conn.close()
    assert ids(alerts) == expected
    assert cursor is None


async def test_the_cursor_pages_through_newest_first(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    pages: list[list[int]] = []
    cursor: str | None = None
    try:
        while True:
            alerts, cursor = await list_alerts(
                conn, AlertQuery(status="all", limit=2, cursor=cursor)
            )
            pages.append(ids(alerts))
            if cursor is None:
                break
    finally:
        await conn.close()
    assert pages == [[5, 4], [3, 2], [1]]


async def test_an_alert_comes_back_as_stored(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        alerts, _ = await list_alerts(conn, AlertQuery(status="acknowledged"))
    finally:
        await conn.close()
    assert alerts == [ALERTS[2]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(lambda: AlertQuery(status="closed"), "status", id="status"),
        pytest.param(lambda: AlertQuery(limit=0), "limit", id="limit"),
        pytest.param(lambda: AlertQuery(since=datetime(2026, 1, 1)), "time zone", id="naive"),
        pytest.param(lambda: AlertQuery(cursor="bm90IGEgY3Vyc29y"), "cursor", id="cursor"),
    ],
)
async def test_malformed_queries_are_refused(dsn: str, query: Any, message: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        with pytest.raises(InvalidAlertQuery, match=message) as raised:
            await list_alerts(conn, query())
    finally:
        await conn.close()
    assert raised.value.sqlstate == "22023"


async def test_an_alert_is_acknowledged_once(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    at = T0 + timedelta(hours=3)
    try:
        first = await acknowledge(conn, ALERTS[0].id, "dpo", "a test export, agreed", at)
        with pytest.raises(AlertAlreadyAcknowledged, match="already acknowledged") as again:
            await acknowledge(conn, ALERTS[0].id, "security_analyst", "second", at)
        stored = await conn.fetchrow(
            "SELECT acknowledged_by, note FROM palata_audit.alerts WHERE id = $1::uuid",
            ALERTS[0].id,
        )
    finally:
        await conn.close()
    assert first is not None
    assert (first.acknowledged_at, first.acknowledged_by, first.note) == (
        at,
        "dpo",
        "a test export, agreed",
    )
    assert (again.value.sqlstate, again.value.http_status) == ("55000", 409)
    assert dict(stored) == {"acknowledged_by": "dpo", "note": "a test export, agreed"}


@pytest.mark.parametrize(
    "alert_id",
    [
        pytest.param(str(uuid.UUID(int=99)), id="unknown-uuid"),
        pytest.param("not-a-uuid", id="not-a-uuid"),
    ],
)
async def test_acknowledging_an_unknown_alert_finds_none(dsn: str, alert_id: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        assert await acknowledge(conn, alert_id, "dpo", "", T0) is None
    finally:
        await conn.close()
