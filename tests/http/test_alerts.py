"""`/v1/alerts` and `/v1/suspensions` on the red-team fixture: the DPO lists, acknowledges and
lifts; the collector is refused (42501, 403), and every attempt after authentication is audited
before the answer — an acknowledgement and its record commit together, a note's text never
reaches the record."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from proxy.config import load_settings
from proxy.http.app import attach_watch, create_app
from proxy.identity.principals import PrincipalDirectory
from proxy.pipeline import Pipeline
from proxy.upstream.pool import open_upstream
from tests.audit.search_support import RecordingStore
from tests.conftest import new_database
from tests.redteam.corpus import load_fixture_schema
from tests.support import REPO
from tests.watch.test_alerts_read import T0, create_watch_tables, insert_alerts, stored_alert

POLICIES = REPO / "tests" / "redteam" / "policies"
DPO = {"Authorization": "Bearer dpo-secret"}
COLLECTOR = {"Authorization": "Bearer collector-secret"}
NOTE = "spoke to the collector: a sanctioned export"
ALERTS = [
    stored_alert(1),
    stored_alert(2, rule="probing", severity="medium", actor="intern"),
    stored_alert(3),
    stored_alert(4),  # acknowledged by the tests below
]
Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
def fixture_dsn(admin_dsn: str) -> Iterator[str]:
    async def load(dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await load_fixture_schema(conn)
            await create_watch_tables(conn)
            await insert_alerts(conn, ALERTS)
        finally:
            await conn.close()

    with new_database(admin_dsn, "http_alerts") as dsn:
        asyncio.run(load(dsn))
        yield dsn


@pytest.fixture
async def served(fixture_dsn: str) -> AsyncIterator[tuple[Client, RecordingStore]]:
    settings = load_settings(
        None,
        {},
        {
            "upstream.dsn": fixture_dsn,
            "policies.dir": POLICIES,
            "policies.model": REPO / "models.conf",
            "detection.security_roles": "dpo",
        },
    )
    principals = PrincipalDirectory.from_policies(POLICIES)
    async with (
        open_upstream(fixture_dsn, settings.upstream) as upstream,
        asyncpg.create_pool(fixture_dsn, min_size=1, max_size=2) as pool,
    ):
        pipeline = await Pipeline.build(settings, upstream)
        app = create_app(settings, upstream, principals, pipeline)
        store = RecordingStore(pool)
        attach_watch(app, store)
        async with TestClient(TestServer(app)) as client:
            yield client, store


async def call(client: Client, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = await client.request(method, path, **kwargs)
    return response.status, await response.json()


async def suspend(dsn: str, principal: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO palata_audit.suspensions (id, principal, since, reason, alert_id, rule) "
            "VALUES ($1, $2, $3, 'bulk_read: 63 distinct subjects in 1m', $4::uuid, 'bulk_read')",
            uuid.uuid4(),
            principal,
            T0 + timedelta(minutes=3),
            ALERTS[2].id,
        )
    finally:
        await conn.close()


def number(alert: dict[str, Any]) -> int:
    return uuid.UUID(alert["id"]).int


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("", [4, 3, 2, 1], id="open"),
        pytest.param("?rule=probing", [2], id="rule"),
        pytest.param("?actor=collector&limit=2", [4, 3], id="actor-limit"),
        pytest.param("?since=2026-03-02T09:02:00Z&until=2026-03-02T09:04:00Z", [3, 2], id="time"),
    ],
)
async def test_the_dpo_lists_alerts(
    served: tuple[Client, RecordingStore], query: str, expected: list[int]
) -> None:
    client, store = served
    status, body = await call(client, "GET", f"/v1/alerts{query}", headers=DPO)
    assert status == 200, body
    assert [number(a) for a in body["alerts"]] == expected
    (record,) = store.written
    assert (record.kind, record.door, record.principal, record.outcome, record.rows) == (
        "alerts_list",
        "http",
        "dpo",
        "served",
        len(expected),
    )


@pytest.mark.parametrize(
    ("method", "path", "payload", "kind"),
    [
        pytest.param("GET", "/v1/alerts", None, "alerts_list", id="list-alerts"),
        pytest.param(
            "POST",
            f"/v1/alerts/{ALERTS[0].id}/acknowledge",
            {"note": NOTE},
            "alert_acknowledged",
            id="acknowledge",
        ),
        pytest.param("GET", "/v1/suspensions", None, "suspensions_list", id="list-suspensions"),
        pytest.param(
            "POST", "/v1/suspensions/collector/lift", {"note": NOTE}, "suspension_lifted", id="lift"
        ),
    ],
)
async def test_the_collector_is_refused_and_audited(
    served: tuple[Client, RecordingStore],
    method: str,
    path: str,
    payload: dict[str, str] | None,
    kind: str,
) -> None:
    client, store = served
    status, body = await call(client, method, path, json=payload, headers=COLLECTOR)
    assert (status, body["error"]["code"]) == (403, "42501")
    assert "detection.security_roles" in body["error"]["message"]
    (record,) = store.written
    assert (record.kind, record.principal, record.outcome, record.sqlstate) == (
        kind,
        "collector",
        "denied",
        "42501",
    )
    assert body["error"]["audit_id"] == record.id


async def test_no_credentials_no_answer_and_no_record(
    served: tuple[Client, RecordingStore],
) -> None:
    client, store = served
    status, _ = await call(client, "GET", "/v1/alerts")
    assert status == 401
    assert store.written == []


async def test_an_alert_is_acknowledged_once_with_its_note_kept_out_of_the_audit(
    served: tuple[Client, RecordingStore], fixture_dsn: str
) -> None:
    client, store = served
    path = f"/v1/alerts/{ALERTS[3].id}/acknowledge"
    status, body = await call(client, "POST", path, json={"note": NOTE}, headers=DPO)
    assert status == 200, body
    assert (body["alert"]["acknowledged_by"], body["alert"]["note"]) == ("dpo", NOTE)
    again, refused = await call(client, "POST", path, json={"note": "again"}, headers=DPO)
    assert (again, refused["error"]["code"]) == (409, "55000")
    served_record, refused_record = store.written
    assert (served_record.kind, served_record.outcome, served_record.rows) == (
        "alert_acknowledged",
        "served",
        None,
    )
    assert served_record.extra == {
        "target": ALERTS[3].id,
        "alert": ALERTS[3].id,
        "rule": "bulk_read",
        "note_chars": len(NOTE),
    }
    assert (refused_record.outcome, refused_record.sqlstate) == ("denied", "55000")
    assert NOTE not in json.dumps([r.to_json() for r in store.written], ensure_ascii=False)
    _, listed = await call(client, "GET", "/v1/alerts?status=acknowledged", headers=DPO)
    assert [number(a) for a in listed["alerts"]] == [4]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        pytest.param(f"/v1/alerts/{uuid.UUID(int=99)}/acknowledge", 404, "42704", id="unknown"),
        pytest.param("/v1/alerts/570913378601/acknowledge", 404, "42704", id="not-an-id"),
        pytest.param("/v1/suspensions/nobody/lift", 404, "42704", id="not-suspended"),
    ],
)
async def test_what_is_not_there_is_404_and_audited(
    served: tuple[Client, RecordingStore], path: str, status: int, code: str
) -> None:
    client, store = served
    answered, body = await call(client, "POST", path, json={"note": ""}, headers=DPO)
    assert (answered, body["error"]["code"]) == (status, code)
    (record,) = store.written
    assert record.outcome == "denied"
    assert "570913378601" not in json.dumps(record.to_json())  # an IIN-like path is not kept


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param("?iin=570913378601", "08P01", id="unknown-parameter"),
        pytest.param("?status=closed", "22023", id="status"),
        pytest.param("?limit=ten", "22023", id="limit"),
        pytest.param("?cursor=garbage", "22023", id="cursor"),
    ],
)
async def test_malformed_listings_are_refused_and_audited(
    served: tuple[Client, RecordingStore], query: str, code: str
) -> None:
    client, store = served
    status, body = await call(client, "GET", f"/v1/alerts{query}", headers=DPO)
    assert (status, body["error"]["code"]) == (400, code)
    (record,) = store.written
    assert record.outcome == "denied"
    assert "570913378601" not in json.dumps(record.to_json())


async def test_the_dpo_lists_and_lifts_a_suspension(
    served: tuple[Client, RecordingStore], fixture_dsn: str
) -> None:
    client, store = served
    await suspend(fixture_dsn, "collector")
    status, body = await call(client, "GET", "/v1/suspensions", headers=DPO)
    assert status == 200
    assert [(s["principal"], s["rule"]) for s in body["suspensions"]] == [
        ("collector", "bulk_read")
    ]
    path = "/v1/suspensions/collector/lift"
    status, body = await call(client, "POST", path, json={"note": NOTE}, headers=DPO)
    assert status == 200, body
    assert body["suspension"]["lifted_by"] == "dpo"
    _, after = await call(client, "GET", "/v1/suspensions", headers=DPO)
    assert after["suspensions"] == []
    kinds = [(r.kind, r.outcome) for r in store.written]
    assert kinds == [
        ("suspensions_list", "served"),
        ("suspension_lifted", "served"),
        ("suspensions_list", "served"),
    ]
    assert store.written[1].extra["note_chars"] == len(NOTE)
    assert store.written[1].extra["alert"] == ALERTS[2].id


async def test_no_record_no_acknowledgement(
    served: tuple[Client, RecordingStore], fixture_dsn: str
) -> None:
    client, store = served
    store.refuse = True
    path = f"/v1/alerts/{ALERTS[1].id}/acknowledge"
    status, body = await call(client, "POST", path, json={"note": NOTE}, headers=DPO)
    assert (status, body["error"]["code"]) == (503, "58030")
    conn = await asyncpg.connect(fixture_dsn)
    try:
        acknowledged = await conn.fetchval(
            "SELECT acknowledged_at FROM palata_audit.alerts WHERE id = $1::uuid", ALERTS[1].id
        )
    finally:
        await conn.close()
    assert acknowledged is None  # rolled back with the record that could not be written


async def test_without_the_watch_there_are_no_routes(fixture_dsn: str) -> None:
    flags = {
        "upstream.dsn": fixture_dsn,
        "policies.dir": POLICIES,
        "policies.model": REPO / "models.conf",
    }
    settings = load_settings(None, {}, flags)
    principals = PrincipalDirectory.from_policies(POLICIES)
    async with open_upstream(fixture_dsn, settings.upstream) as upstream:
        pipeline = await Pipeline.build(settings, upstream)
        app = create_app(settings, upstream, principals, pipeline)
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/v1/alerts", headers=DPO)
            assert response.status == 404
