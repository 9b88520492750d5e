"""The HTTP query door: who may ask, what a well-formed request is, and refusals with SQLSTATEs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.http.test_health import client_for, settings_for

COLLECTOR = {"Authorization": "Bearer palata-demo-collector"}
DPO = {"Authorization": "Bearer palata-demo-dpo"}


@pytest.fixture
async def client(fresh_dsn: str) -> AsyncIterator[TestClient[object, object]]:
    async for c in client_for(settings_for(fresh_dsn)):
        yield c


async def error_of(response: Any) -> tuple[int, str, str]:
    body = await response.json()
    return response.status, body["error"]["code"], body["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, "missing credentials", id="none"),
        pytest.param({"Authorization": "Basic Y29sbGVjdG9y"}, "missing credentials", id="basic"),
        pytest.param({"Authorization": "Bearer "}, "missing credentials", id="empty"),
        pytest.param({"Authorization": "Bearer wrong"}, "not valid", id="wrong"),
    ],
)
async def test_credentials_are_required(
    client: TestClient[object, object], headers: dict[str, str], expected: str
) -> None:
    for response in (
        await client.get("/v1/whoami", headers=headers),
        await client.post("/v1/query", headers=headers, json={"sql": "SELECT 1"}),
    ):
        status, code, message = await error_of(response)
        assert (status, code) == (401, "28000")
        assert expected in message


async def test_whoami_names_principal_and_purpose(client: TestClient[object, object]) -> None:
    response = await client.get("/v1/whoami", headers=COLLECTOR)
    assert response.status == 200
    body = await response.json()
    assert body["principal"] == "collector"
    assert body["purpose"] == "debt_collection"
    assert body["attributes"] == {"region": "Алматы"}


@pytest.mark.parametrize(
    ("body", "status", "code", "expected"),
    [
        pytest.param(b"{not json", 400, "08P01", "not valid JSON", id="not-json"),
        pytest.param(b"[1, 2]", 400, "08P01", "must be a JSON object", id="array"),
        pytest.param(b"{}", 400, "08P01", "'sql' must be a non-empty string", id="no-sql"),
        pytest.param(b'{"sql": "  "}', 400, "08P01", "'sql' must be", id="blank-sql"),
        pytest.param(b'{"sql": 1}', 400, "08P01", "'sql' must be", id="sql-not-string"),
        pytest.param(b'{"sql": "SELECT 1", "params": {}}', 400, "08P01", "'params'", id="params"),
        pytest.param(b'{"sql": "SELECT 1", "purpose": 3}', 400, "08P01", "'purpose'", id="purp"),
        pytest.param(
            b'{"sql": "SELECT 1", "user": "x"}',
            400,
            "08P01",
            "unknown field 'user'",
            id="unknown-field",
        ),
        pytest.param(b"\xff\xfe", 400, "08P01", "not valid JSON", id="not-utf8"),
        pytest.param(
            b'{"sql": "SELECT 1", "purpose": "marketing"}',
            403,
            "42501",
            "purpose 'marketing' is not allowed",
            id="wrong-purpose",
        ),
    ],
)
async def test_malformed_or_refused_requests(
    client: TestClient[object, object], body: bytes, status: int, code: str, expected: str
) -> None:
    response = await client.post("/v1/query", headers=COLLECTOR, data=body)
    got_status, got_code, message = await error_of(response)
    assert (got_status, got_code) == (status, code)
    assert expected in message


async def test_oversized_body_is_refused(client: TestClient[object, object]) -> None:
    sql = "SELECT " + "1 + " * 400_000 + "1"
    response = await client.post("/v1/query", headers=COLLECTOR, data=json.dumps({"sql": sql}))
    status, code, message = await error_of(response)
    assert (status, code) == (413, "54000")
    assert "http.max_body_bytes" in message


async def test_statements_are_denied_by_default(client: TestClient[object, object]) -> None:
    # With no statement policy loaded, even the DPO's harmless statement is refused: fail closed.
    response = await client.post("/v1/query", headers=DPO, json={"sql": "SELECT 1"})
    status, code, message = await error_of(response)
    assert (status, code) == (403, "42501")
    assert "denied by default" in message
    metrics = await (await client.get("/metrics")).text()
    assert 'palata_denials_total{sqlstate="42501"} 1.0' in metrics
