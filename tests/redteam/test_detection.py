"""Detection on a real `palata-proxy serve` of the red-team fixture (tests/redteam/policies/
detection.toml, ticking every half second): 50 distinct debtors read by a collector within a
minute raise a bulk-read alert and 49 do not; 20 denied statements within a minute raise a
probing alert and 19 do not; the dpo reads the alerts, a collector may not; a suspended
principal is refused through both doors until the dpo lifts it. `collector_b` is a second
collector that only these tests use, so its alerts are its own."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from proxy.watch.suspensions import lift, suspend
from tests.cli.process import get_json, post_json
from tests.redteam.corpus import SECRETS

WHO = "collector_b"
SETTLED_S = 3.0  # several ticks of the fixture's detector (interval 0.5 s, settle 0.2 s)


def query(base: str, who: str, sql: str, params: list[Any] | None = None) -> tuple[int, Any]:
    return post_json(f"{base}/v1/query", {"sql": sql, "params": params or []}, SECRETS[who])


def alerts(base: str, rule: str, actor: str = WHO, who: str = "dpo") -> tuple[int, Any]:
    filters = urllib.parse.urlencode({"rule": rule, "actor": actor, "status": "all"})
    status, raw = get_json(f"{base}/v1/alerts?{filters}", SECRETS[who])
    return status, json.loads(raw)


def wait_for_alert(base: str, rule: str, timeout_s: float = 15.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = alerts(base, rule)
        assert status == 200, body
        if body["alerts"] or time.monotonic() > deadline:
            return list(body["alerts"])
        time.sleep(0.3)


@pytest.fixture(scope="module")
def visible_debtors(proxy_url: str) -> list[int]:
    """The debtors a collector sees (its region), read by the other collector."""
    status, body = query(proxy_url, "collector", "SELECT id FROM debtors ORDER BY id")
    assert status == 200, body
    ids = [row[0] for row in body["rows"]]
    assert len(ids) >= 50, ids
    return ids


def test_fifty_distinct_debtors_in_a_minute_raise_a_bulk_read_alert(
    proxy_url: str, visible_debtors: list[int]
) -> None:
    sql = "SELECT id, debt_amount FROM debtors WHERE id = $1"
    for debtor in visible_debtors[:49]:
        status, body = query(proxy_url, WHO, sql, [debtor])
        assert status == 200 and len(body["rows"]) == 1, body
    time.sleep(SETTLED_S)
    assert wait_for_alert(proxy_url, "bulk_read", timeout_s=0) == [], "49 must not alert"

    status, body = query(proxy_url, WHO, sql, [visible_debtors[49]])
    assert status == 200, body
    [alert] = wait_for_alert(proxy_url, "bulk_read")
    assert alert["severity"] == "high"
    assert alert["measure"]["distinct_subjects"] == 50
    assert len(alert["record_ids"]) >= 1
    text = json.dumps(alert, ensure_ascii=False)
    assert not any(str(body_row) in text for body_row in body["rows"][0][1:])


def test_twenty_denied_statements_in_a_minute_raise_a_probing_alert(proxy_url: str) -> None:
    for _ in range(19):
        status, body = query(proxy_url, WHO, "SELECT salary FROM employees")
        assert status == 403 and body["error"]["code"] == "42501", body
    time.sleep(SETTLED_S)
    assert wait_for_alert(proxy_url, "probing", timeout_s=0) == [], "19 must not alert"

    query(proxy_url, WHO, "SELECT salary FROM employees")
    [alert] = wait_for_alert(proxy_url, "probing")
    assert alert["measure"]["denied"] >= 20


@pytest.mark.parametrize(("who", "status"), [("dpo", 200), ("collector", 403), ("intern", 403)])
def test_only_the_security_role_reads_alerts(proxy_url: str, who: str, status: int) -> None:
    got, body = alerts(proxy_url, "probing", who=who)
    assert got == status, body


async def _suspend(dsn: str, principal: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            made = await suspend(conn, principal, "test: suspended by hand", None, None, _now())
        assert made is not None
    finally:
        await conn.close()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _wire_query(dsn: str, sql: str) -> str:
    """'served', or the error's SQLSTATE and message."""
    conn = await asyncpg.connect(dsn, server_settings={})
    try:
        await conn.fetch(sql)
    except asyncpg.PostgresError as exc:
        return f"{exc.sqlstate} {exc}"
    finally:
        await conn.close()
    return "served"


def test_a_suspended_principal_is_refused_by_both_doors_until_lifted(
    proxy_url: str, wire_dsn: Callable[[str], str], fixture_dsn: str
) -> None:
    sql = "SELECT id FROM debtors WHERE id = 1"
    asyncio.run(_suspend(fixture_dsn, WHO))
    try:
        time.sleep(1.5)  # the notice reaches the proxy's book
        status, body = query(proxy_url, WHO, sql)
        assert status == 403 and body["error"]["code"] == "42501", body
        assert "suspended" in body["error"]["message"], body
        wire = asyncio.run(_wire_query(wire_dsn(WHO), sql))
        assert wire.startswith("42501") and "suspended" in wire, wire
        status, body = query(proxy_url, "collector", sql)
        assert status == 200, "another principal of the same role is not suspended"
    finally:
        status, lifted = post_json(
            f"{proxy_url}/v1/suspensions/{WHO}/lift", {"note": "test over"}, SECRETS["dpo"]
        )
    assert status == 200, lifted
    time.sleep(1.5)
    status, body = query(proxy_url, WHO, sql)
    assert status == 200, body
    assert asyncio.run(_wire_query(wire_dsn(WHO), sql)) == "served"


async def _lift(dsn: str, principal: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await lift(conn, principal, "test", "test over", _now())
    finally:
        await conn.close()


def test_a_suspended_security_officer_neither_reads_nor_lifts(
    proxy_url: str, fixture_dsn: str
) -> None:
    asyncio.run(_suspend(fixture_dsn, "dpo"))
    try:
        time.sleep(1.5)  # the notice reaches the proxy's book
        refused = [
            alerts(proxy_url, "probing"),
            post_json(f"{proxy_url}/v1/suspensions/dpo/lift", {"note": "me"}, SECRETS["dpo"]),
            post_json(f"{proxy_url}/v1/audit/search", {"principal": WHO}, SECRETS["dpo"]),
        ]
        for status, body in refused:
            assert status == 403, body
            assert isinstance(body, dict) and "suspended" in body["error"]["message"], body
    finally:
        asyncio.run(_lift(fixture_dsn, "dpo"))
    time.sleep(1.5)
    assert alerts(proxy_url, "probing")[0] == 200


@pytest.mark.parametrize("name", ["Айгерим Н", "ops/night", "a b"])
def test_any_principal_name_can_be_named_for_a_lift(proxy_url: str, name: str) -> None:
    quoted = urllib.parse.quote(name, safe="")
    status, body = post_json(
        f"{proxy_url}/v1/suspensions/{quoted}/lift", {"note": "n"}, SECRETS["dpo"]
    )
    assert status == 404, body  # not suspended: the name was understood, not refused
    assert isinstance(body, dict) and "is not suspended" in body["error"]["message"], body
