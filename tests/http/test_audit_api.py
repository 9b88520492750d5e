"""`GET /v1/audit` on the red-team fixture: the DPO searches, others are refused, every search is
audited, and an IIN never comes back in an answer, an error, a log line or an audit record."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from proxy.audit.codec import record_from_json
from proxy.config import load_settings
from proxy.http.app import create_app
from proxy.http.keys import AUDIT_STORE
from proxy.identity.principals import PrincipalDirectory
from proxy.pipeline import Pipeline
from proxy.upstream.pool import open_upstream
from tests.audit.search_support import (
    RecordingStore,
    debtor,
    make_record,
    records_database,
)
from tests.support import REPO

POLICIES = REPO / "tests" / "redteam" / "policies"
DPO = {"Authorization": "Bearer dpo-secret"}
COLLECTOR = {"Authorization": "Bearer collector-secret"}
DEBTOR_1_IIN = "570913378601"  # debtors.id 1 of the fixture (synthetic)
RECORDS = [
    make_record(1, subjects=(debtor(1),), subject_count=1),
    make_record(2, subjects=(debtor(2),), subject_count=1),
    make_record(3, principal="dpo", roles=("dpo",), purpose="dpo_review"),
    make_record(4, subjects=(debtor(1), debtor(2)), subject_count=2),
]

Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
def fixture_dsn(admin_dsn: str) -> Iterator[str]:
    with records_database(admin_dsn, "audit_api", RECORDS) as dsn:
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
        app[AUDIT_STORE] = store
        server = TestServer(app)
        await server.start_server(access_log=None)  # as `serve` runs it (a URL may hold an IIN)
        async with TestClient(server) as client:
            yield client, store


async def answer(response: Any) -> tuple[int, dict[str, Any]]:
    return response.status, await response.json()


async def test_the_dpo_searches_newest_first(served: tuple[Client, RecordingStore]) -> None:
    client, store = served
    status, body = await answer(await client.get("/v1/audit", headers=DPO))
    assert status == 200
    assert [r["id"] for r in body["records"]] == ["rec-4", "rec-3", "rec-2", "rec-1"]
    assert body["next_cursor"] is None
    assert record_from_json(body["records"][0]) == RECORDS[3]
    (record,) = store.written
    assert (record.kind, record.door, record.principal, record.outcome) == (
        "audit_search",
        "http",
        "dpo",
        "served",
    )
    assert (record.rows, record.roles, record.purpose) == (4, ("dpo",), "dpo_review")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("principal=dpo", ["rec-3"], id="principal"),
        pytest.param("purpose=dpo_review", ["rec-3"], id="purpose"),
        pytest.param(
            "table=public.debtors&column=iin&decision=clear",
            ["rec-4", "rec-3", "rec-2", "rec-1"],
            id="access",
        ),
        pytest.param("outcome=denied", [], id="outcome"),
        pytest.param(
            "since=2026-03-02T09:02:00Z&until=2026-03-02T09:04:00Z", ["rec-3", "rec-2"], id="time"
        ),
        pytest.param(f"iin={DEBTOR_1_IIN}", ["rec-4", "rec-1"], id="iin"),
        pytest.param("iin=111111111111", [], id="unknown-iin"),
        pytest.param("subject=public.debtors=2", ["rec-4", "rec-2"], id="subject-key"),
        pytest.param(f"iin={DEBTOR_1_IIN}&principal=collector&limit=1", ["rec-4"], id="combined"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
async def test_filters(
    served: tuple[Client, RecordingStore], query: str, expected: list[str], method: str
) -> None:
    client, store = served
    if method == "get":
        response = await client.get(f"/v1/audit?{query}", headers=DPO)
    else:  # the same criteria in a JSON body: no IIN in the URL
        criteria: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
        if "limit" in criteria:
            criteria["limit"] = int(criteria["limit"])
        response = await client.post("/v1/audit/search", json=criteria, headers=DPO)
    status, body = await answer(response)
    assert status == 200, body
    assert [r["id"] for r in body["records"]] == expected
    assert DEBTOR_1_IIN not in json.dumps([r.to_json() for r in store.written])


async def test_an_iin_search_is_audited_by_its_count_only(
    served: tuple[Client, RecordingStore],
) -> None:
    client, store = served
    await client.get(f"/v1/audit?iin={DEBTOR_1_IIN}", headers=DPO)
    (record,) = store.written
    assert record.extra == {"filter": {"limit": 100, "paged": False, "subjects": 1}}
    assert record.subjects == () and record.subject_count == 0


async def test_pages_follow_the_cursor(served: tuple[Client, RecordingStore]) -> None:
    client, _ = served
    seen: list[str] = []
    url = "/v1/audit?limit=3"
    while True:
        status, body = await answer(await client.get(url, headers=DPO))
        assert status == 200
        seen += [r["id"] for r in body["records"]]
        if body["next_cursor"] is None:
            break
        url = f"/v1/audit?limit=3&cursor={body['next_cursor']}"
    assert seen == ["rec-4", "rec-3", "rec-2", "rec-1"]


async def test_a_collector_is_refused_and_the_refusal_audited(
    served: tuple[Client, RecordingStore],
) -> None:
    client, store = served
    response = await client.get(f"/v1/audit?iin={DEBTOR_1_IIN}", headers=COLLECTOR)
    status, body = await answer(response)
    assert (status, body["error"]["code"]) == (403, "42501")
    assert "audit.search_roles" in body["error"]["message"]
    (record,) = store.written
    assert (record.principal, record.outcome, record.sqlstate) == ("collector", "denied", "42501")
    assert record.extra == {"filter": {"parameters": ["iin"]}}


@pytest.mark.parametrize(
    ("query", "status", "code", "message"),
    [
        pytest.param("iin=57091337860", 400, "22023", "IIN must be exactly 12 digits", id="iin"),
        pytest.param("iin=5709133786O1", 400, "22023", "IIN must be exactly 12 digits", id="O"),
        pytest.param("limit=1001", 400, "22023", "limit", id="limit"),
        pytest.param("limit=ten", 400, "22023", "limit", id="limit-text"),
        pytest.param("decision=maybe", 400, "22023", "decision", id="decision"),
        pytest.param("since=yesterday", 400, "22023", "since", id="since"),
        pytest.param("cursor=abc", 400, "22023", "cursor", id="cursor"),
        pytest.param(f"name={DEBTOR_1_IIN}", 400, "08P01", "unknown query parameter", id="unknown"),
        pytest.param("role=a&role=b", 400, "08P01", "twice", id="twice"),
    ],
)
async def test_malformed_searches_are_refused_without_echo(
    served: tuple[Client, RecordingStore],
    caplog: pytest.LogCaptureFixture,
    query: str,
    status: int,
    code: str,
    message: str,
) -> None:
    client, store = served
    caplog.set_level(logging.DEBUG)
    response = await client.get(f"/v1/audit?{query}", headers=DPO)
    text = await response.text()
    got, body = response.status, json.loads(text)
    assert (got, body["error"]["code"]) == (status, code)
    assert message in body["error"]["message"]
    value = query.split("=", 1)[1]
    assert value not in text
    assert value not in caplog.text
    (record,) = store.written
    assert record.outcome == "denied"
    assert value not in json.dumps(record.to_json())


async def test_no_answer_without_its_audit_record(served: tuple[Client, RecordingStore]) -> None:
    client, store = served
    store.refuse = True
    status, body = await answer(await client.get("/v1/audit", headers=DPO))
    assert (status, body["error"]["code"]) == (503, "58030")
    assert "records" not in body


async def test_no_audit_store_means_no_search(fixture_dsn: str) -> None:
    settings = load_settings(
        None,
        {},
        {
            "upstream.dsn": fixture_dsn,
            "policies.dir": POLICIES,
            "policies.model": REPO / "models.conf",
        },
    )
    async with open_upstream(fixture_dsn, settings.upstream) as upstream:
        pipeline = await Pipeline.build(settings, upstream)
        app = create_app(settings, upstream, PrincipalDirectory.from_policies(POLICIES), pipeline)
        async with TestClient(TestServer(app)) as client:
            status, body = await answer(await client.get("/v1/audit", headers=DPO))
    assert (status, body["error"]["code"]) == (503, "58030")


async def test_credentials_come_first(served: tuple[Client, RecordingStore]) -> None:
    client, store = served
    status, body = await answer(await client.get(f"/v1/audit?iin={DEBTOR_1_IIN}"))
    assert (status, body["error"]["code"]) == (401, "28000")
    assert store.written == []


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        pytest.param(b"[1]", "08P01", "JSON object of search criteria", id="not-object"),
        pytest.param(b"{", "08P01", "not valid JSON", id="not-json"),
        pytest.param(b'{"iin": 570913378601}', "08P01", "'iin' must be a string", id="iin-number"),
        pytest.param(b'{"limit": true}', "08P01", "'limit' must be a string", id="limit-bool"),
        pytest.param(b'{"name": "x"}', "08P01", "unknown search criterion", id="unknown"),
        pytest.param(b'{"iin": "57091337860"}', "22023", "exactly 12 digits", id="iin-short"),
    ],
)
async def test_malformed_posted_searches_are_refused_and_audited(
    served: tuple[Client, RecordingStore], body: bytes, code: str, message: str
) -> None:
    client, store = served
    headers = {**DPO, "Content-Type": "application/json"}
    response = await client.post("/v1/audit/search", data=body, headers=headers)
    status, answered = await answer(response)
    assert (status, answered["error"]["code"]) == (400, code)
    assert message in answered["error"]["message"]
    assert "57091337860" not in json.dumps(answered)
    (record,) = store.written
    assert (record.outcome, record.kind) == ("denied", "audit_search")
    assert "57091337860" not in json.dumps(record.to_json())


async def test_a_posted_search_needs_a_search_role(served: tuple[Client, RecordingStore]) -> None:
    client, store = served
    response = await client.post("/v1/audit/search", json={"iin": DEBTOR_1_IIN}, headers=COLLECTOR)
    status, body = await answer(response)
    assert (status, body["error"]["code"]) == (403, "42501")
    (record,) = store.written
    assert record.principal == "collector" and record.outcome == "denied"


async def test_a_search_that_fails_unexpectedly_is_on_record(
    served: tuple[Client, RecordingStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, store = served

    async def broken(conn: object, search: object) -> object:
        raise RuntimeError("a failure no one planned for")

    monkeypatch.setattr("proxy.http.audit.search_records", broken)
    response = await client.post("/v1/audit/search", json={"principal": "dpo"}, headers=DPO)
    assert response.status == 500
    (record,) = store.written
    assert (record.kind, record.outcome) == ("audit_search", "failed")
