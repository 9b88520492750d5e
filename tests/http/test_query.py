"""The HTTP query door: who may ask, what a well-formed request is, and refusals with SQLSTATEs."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pytest

from proxy.pipeline import Pipeline, QueryRequest
from tests.http.conftest import Client, client_for, settings_for

COLLECTOR = {"Authorization": "Bearer palata-demo-collector"}
DPO = {"Authorization": "Bearer palata-demo-dpo"}
IIN = "850215312345"  # a personal-data look-alike that must never be echoed back


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
        pytest.param({"Authorization": "Bearer palata-demo-dpo\u00e9"}, "not valid", id="latin1"),
        pytest.param({"Authorization": "Bearer a b"}, "not valid", id="space"),
    ],
)
async def test_credentials_are_required(
    client: Client, headers: dict[str, str], expected: str
) -> None:
    for response in (
        await client.get("/v1/whoami", headers=headers),
        await client.post("/v1/query", headers=headers, json={"sql": "SELECT 1"}),
    ):
        status, code, message = await error_of(response)
        assert (status, code) == (401, "28000")
        assert expected in message
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_undecodable_token_bytes_are_refused_not_crashed(client: Client) -> None:
    response = await client.get(
        "/v1/whoami", headers={"Authorization": b"Bearer \xff\xfe".decode("latin-1")}
    )
    assert (await error_of(response))[:2] == (401, "28000")


@pytest.mark.parametrize(
    ("query", "status", "expected"),
    [
        pytest.param("", 200, "debt_collection", id="default"),
        pytest.param("?purpose=debt_collection", 200, "debt_collection", id="stated"),
        pytest.param("?purpose=marketing", 403, "purpose 'marketing' is not allowed", id="other"),
    ],
)
async def test_whoami_names_principal_and_purpose(
    client: Client, query: str, status: int, expected: str
) -> None:
    response = await client.get(f"/v1/whoami{query}", headers=COLLECTOR)
    assert response.status == status
    body = await response.json()
    if status == 200:
        assert body["principal"] == "collector"
        assert body["purpose"] == expected
        assert body["attributes"] == {"region": "Алматы"}
    else:
        assert body["error"]["code"] == "42501"
        assert expected in body["error"]["message"]


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
            b'{"sql": "SELECT 1", "user": "x"}', 400, "08P01", "unknown field", id="unknown-field"
        ),
        pytest.param(b"\xff\xfe", 400, "08P01", "not valid JSON", id="not-utf8"),
        pytest.param(b'{"sql": "SELECT 1", "params": [NaN]}', 400, "08P01", "NaN is not", id="nan"),
        pytest.param(
            b'{"sql": "SELECT 1", "sql": "DELETE FROM debtors"}',
            400,
            "08P01",
            "a key appears twice",
            id="duplicate-key",
        ),
        pytest.param(
            b'{"sql": "SELECT 1", "params": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
            400,
            "08P01",
            "nested too deeply",
            id="deep",
        ),
        pytest.param(
            b'{"sql": "SELECT 1", "params": [' + b"9" * 5000 + b"]}",
            400,
            "08P01",
            "a number is too long",
            id="long-number",
        ),
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
    client: Client, body: bytes, status: int, code: str, expected: str
) -> None:
    response = await client.post("/v1/query", headers=COLLECTOR, data=body)
    got_status, got_code, message = await error_of(response)
    assert (got_status, got_code) == (status, code)
    assert expected in message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"sql": "SELECT 1", "purpose": f"ИИН {IIN} Ахметов"}, id="purpose"),
        pytest.param({"sql": "SELECT 1", f"iin_{IIN}": 1}, id="field-name"),
    ],
)
async def test_request_content_is_not_echoed(client: Client, body: dict[str, Any]) -> None:
    response = await client.post("/v1/query", headers=COLLECTOR, json=body)
    status, _, message = await error_of(response)
    assert status in (400, 403)
    assert IIN not in message and "Ахметов" not in message


async def test_oversized_body_is_refused(client: Client) -> None:
    sql = "SELECT " + "1 + " * 400_000 + "1"
    response = await client.post("/v1/query", headers=COLLECTOR, data=json.dumps({"sql": sql}))
    status, code, message = await error_of(response)
    assert (status, code) == (413, "54000")
    assert "http.max_body_bytes" in message


async def test_wrong_method_keeps_allow_header(client: Client) -> None:
    response = await client.get("/v1/query", headers=COLLECTOR)
    status, code, _ = await error_of(response)
    assert (status, code) == (405, "08P01")
    assert response.headers["Allow"] == "POST"


async def test_a_statement_touching_no_table_is_answered(client: Client) -> None:
    response = await client.post(
        "/v1/query",
        headers=DPO,
        json={"sql": "SELECT $1::int + 1 AS n, 'Алматы' AS r", "params": [41]},
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["columns"] == [
        {"name": "n", "type": "int4", "masked": False},
        {"name": "r", "type": "text", "masked": False},
    ]
    assert body["rows"] == [[42, "Алматы"]]
    assert body["row_count"] == 1
    assert "Алматы" in await response.text(), "Cyrillic travels as UTF-8, not \\u escapes"


@pytest.mark.parametrize(
    ("sql", "status", "code", "expected"),
    [
        pytest.param("SELECT * FROM no_such_table", 400, "42P01", "no_such_table", id="unknown"),
        pytest.param("SELEC 1", 400, "42601", "syntax error", id="syntax"),
        pytest.param("SELECT 1; SELECT 2", 403, "42501", "exactly one", id="two-statements"),
        pytest.param("DROP TABLE x", 403, "42501", "", id="ddl"),
        pytest.param("SELECT * FROM pg_catalog.pg_stats", 403, "42501", "", id="catalog"),
    ],
)
async def test_statements_the_proxy_refuses(
    client: Client, sql: str, status: int, code: str, expected: str
) -> None:
    response = await client.post("/v1/query", headers=DPO, json={"sql": sql})
    got_status, got_code, message = await error_of(response)
    assert (got_status, got_code) == (status, code), message
    assert expected in message
    metrics = await (await client.get("/metrics")).text()
    assert f'palata_denials_total{{sqlstate="{code}"}} 1.0' in metrics


class BrokenPipeline(Pipeline):
    """A pipeline with a bug: its exception text holds data that must not reach the client."""

    async def run(self, request: QueryRequest) -> NoReturn:
        raise RuntimeError(f"bug while reading {IIN}")


async def test_an_unexpected_error_refuses_without_leaking(
    fresh_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_for(settings_for(fresh_dsn), BrokenPipeline) as client:
        response = await client.post("/v1/query", headers=DPO, json={"sql": "SELECT 1"})
        status, code, message = await error_of(response)
    assert (status, code) == (500, "XX000")
    assert IIN not in message
    assert "RuntimeError" in caplog.text
    assert IIN not in caplog.text


async def test_a_table_created_after_start_is_found(
    client: Client, fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncpg

    from proxy.pipeline import catalog

    sql = {"sql": "SELECT count(*) FROM created_later"}
    before = await client.post("/v1/query", headers=DPO, json=sql)
    assert (await error_of(before))[1] == "42P01"
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await conn.execute("CREATE TABLE created_later (id int)")
    finally:
        await conn.close()
    # the spacing between reloads is not under test here
    monkeypatch.setattr(catalog, "MIN_REFRESH_INTERVAL_S", 0.0)
    after = await client.post("/v1/query", headers=DPO, json=sql)
    # the DPO's policy grants public.*.*: once the snapshot knows the table, it is served
    assert after.status == 200, await after.text()


async def test_a_column_dropped_after_start_reloads_the_catalogue(
    client: Client, fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncpg

    from proxy.pipeline import catalog

    conn = await asyncpg.connect(fresh_dsn)
    try:
        await conn.execute("CREATE TABLE shrinking (id int, gone text)")
        monkeypatch.setattr(catalog, "MIN_REFRESH_INTERVAL_S", 0.0)
        sql = {"sql": "SELECT * FROM shrinking"}
        first = await client.post("/v1/query", headers=DPO, json=sql)
        assert [c["name"] for c in (await first.json())["columns"]] == ["id", "gone"]
        await conn.execute("ALTER TABLE shrinking DROP COLUMN gone")
    finally:
        await conn.close()
    # the cached plan names the dropped column; the database's 42703 triggers one reload
    after = await client.post("/v1/query", headers=DPO, json=sql)
    assert after.status == 200, await after.text()
    assert [c["name"] for c in (await after.json())["columns"]] == ["id"]
