"""Every red-team case through both doors of a real `palata-proxy serve` (HTTP, and the wire
door with asyncpg: extended protocol, binary results): all as expected, no leak, and the proxy
stays up. Cases: shared/redteam/cases_public.jsonl plus our own."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from proxy.http.encode import json_value
from tests.cli.process import post_json
from tests.redteam.corpus import SECRETS, Case, canaries, corpus, leaked

CASES = corpus()
CANARIES = canaries()


def post_query(base: str, case: Case) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"sql": case.sql, "params": case.params}
    if case.purpose is not None:
        body["purpose"] = case.purpose
    status, answer = post_json(f"{base}/v1/query", body, SECRETS[case.principal])
    assert isinstance(answer, dict)
    return status, answer


async def direct_rows(dsn: str, sql: str, params: list[Any]) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [[json_value(v) for v in row] for row in await conn.fetch(sql, *params)]
    finally:
        await conn.close()


async def forbidden_values(dsn: str, sql: str) -> list[str]:
    rows = await direct_rows(dsn, sql, [])
    return [str(v) for row in rows for v in row if v is not None]


def as_multiset(rows: list[Any]) -> list[str]:
    return sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows)


async def wire_query(dsn: str, case: Case) -> tuple[int, dict[str, Any]]:
    """The case through the wire door, answered in the HTTP door's shape: 200 and rows, or
    the error's SQLSTATE and message (the purpose goes in the startup options)."""
    purpose = None if case.purpose is None else case.purpose.replace("\\", "\\\\")
    purpose = None if purpose is None else purpose.replace(" ", "\\ ")  # as libpq escapes
    options = {} if purpose is None else {"options": f"-c palata.purpose={purpose}"}
    try:
        conn = await asyncpg.connect(dsn, server_settings=options)  # a login can be refused
        try:
            rows = await conn.fetch(case.sql, *case.params)
        finally:
            await conn.close()
    except asyncpg.PostgresError as exc:
        return 400, {"error": {"code": exc.sqlstate, "message": str(exc), "detail": exc.detail}}
    return 200, {"rows": [[json_value(v) for v in row] for row in rows]}


@pytest.mark.parametrize("door", ["http", "pgwire"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(
    case: Case,
    door: str,
    proxy_url: str,
    wire_dsn: Callable[[str], str],
    fixture_dsn: str,
    collector_world_dsn: str,
) -> None:
    if door == "http":
        status, body = post_query(proxy_url, case)
    else:
        status, body = asyncio.run(wire_query(wire_dsn(case.principal), case))
    text = json.dumps(body, ensure_ascii=False)
    forbidden = list(CANARIES)
    if case.forbid_sql:
        forbidden += asyncio.run(forbidden_values(fixture_dsn, case.forbid_sql))

    if case.expect == "ALLOW":
        assert status == 200, body
        world = collector_world_dsn if case.principal == "collector" else fixture_dsn
        expected = asyncio.run(direct_rows(world, case.sql, case.params))
        assert as_multiset(body["rows"]) == as_multiset(expected)
    elif case.expect == "MASKED":
        assert status == 200, body
        assert body["rows"], "a MASKED case must return rows"
        assert not leaked(text, case, forbidden)
    elif case.expect == "SAFE":
        assert not leaked(text, case, forbidden)
        if status != 200 and case.forbid_state:
            assert body["error"]["code"] != case.forbid_state, "an error oracle answered"
    elif case.expect == "DENY":
        assert status != 200, body
        assert body["error"]["code"] == "42501", body
        assert not leaked(text, case, forbidden)
    else:  # pragma: no cover - a corpus line we do not understand is a test bug
        raise AssertionError(f"unknown expectation {case.expect}")

    with urllib.request.urlopen(f"{proxy_url}/healthz", timeout=10) as response:
        assert response.status == 200, "the proxy must stay up after every case"


def test_statements_run_as_the_provisioned_database_role(proxy_url: str) -> None:
    case = Case("role", "collector", "ALLOW", "SELECT current_user AS role")
    status, body = post_query(proxy_url, case)
    assert status == 200, body
    role = body["rows"][0][0]
    assert role.startswith("t_") and role.endswith("_collector"), role
