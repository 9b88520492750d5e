"""The suspension gate in the pipeline (HTTP semantics, in process, on the red-team fixture): a
suspended principal's statements are refused before planning and audited as denied; lifted,
they are served. Also what refused records say of the tables, and the pipeline's clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy.errors import AccessDenied, PrincipalSuspended, ProxyError
from proxy.identity.principals import Principal
from proxy.pipeline import Pipeline
from proxy.pipeline.audit_entry import AuditEntries, AuditTrail
from proxy.pipeline.request import QueryRequest
from proxy.upstream.pool import open_upstream
from proxy.watch.model import Suspension
from proxy.watch.suspensions import SuspensionBook
from tests.pipeline.fixture_db import (
    COLLECTOR,
    DPO,
    KEY,
    KEYS,
    RecordingSink,
    dsn,
    policies,
    run,
    settings_for,
    suspension,
)

__all__ = ["dsn", "policies"]  # fixtures

SIMULATED = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # 09:30 in Almaty
ALERT = "5b0f5d0e-8f4e-4a44-9d1a-2f0c0d6f3a11"
SUSPENDED = suspension(alert_id=ALERT)


Gated = tuple[Pipeline, SuspensionBook, RecordingSink]


@pytest.fixture
async def gated(dsn: str, policies: Path) -> AsyncIterator[Gated]:
    settings = settings_for(dsn, policies, pseudonym_key=KEY)
    sink = RecordingSink()
    trail = AuditTrail(AuditEntries("test", KEYS, 100), sink)
    book = SuspensionBook()
    async with open_upstream(dsn, settings.upstream) as upstream:
        pipeline = await Pipeline.build(settings, upstream, trail, clock=lambda: SIMULATED)
        pipeline.gate = book
        yield pipeline, book, sink


STATEMENTS = [
    pytest.param("SELECT id, region FROM debtors", id="query"),
    pytest.param("SELECT 1", id="no-table"),
    pytest.param("SELECT * FROM employees", id="a-statement-policy-refuses-too"),
    pytest.param("not sql at all", id="unparsed"),
]


@pytest.mark.parametrize("sql", STATEMENTS)
async def test_a_suspended_principal_is_refused_and_audited(gated: Gated, sql: str) -> None:
    pipeline, book, sink = gated
    book.replace([SUSPENDED])
    with pytest.raises(PrincipalSuspended) as refused:
        await run(pipeline, COLLECTOR, sql)
    error = refused.value
    assert (error.sqlstate, error.http_status) == ("42501", 403)
    assert "principal 'collector' is suspended since 2026-03-02T03:00:00+00:00" in error.message
    assert f"by alert {ALERT} (rule bulk_read)" in error.message
    assert "POST /v1/suspensions/collector/lift" in error.message
    [record] = sink.records
    assert (record.outcome, record.sqlstate, record.principal) == ("denied", "42501", "collector")
    assert record.reason == error.message and error.audit_id == record.id
    assert record.extra == {"suspension": SUSPENDED.id}
    assert record.at == SIMULATED and record.access == ()


@pytest.mark.parametrize(
    ("suspended", "who", "served"),
    [
        pytest.param([SUSPENDED], DPO, True, id="another-principal-served"),
        pytest.param([], COLLECTOR, True, id="lifted-served"),
        pytest.param([SUSPENDED], COLLECTOR, False, id="suspended-refused"),
    ],
)
async def test_only_the_suspended_principal_is_refused(
    gated: Gated,
    suspended: list[Suspension],
    who: Principal,
    served: bool,
) -> None:
    pipeline, book, sink = gated
    book.replace([SUSPENDED])
    book.replace(suspended)  # a reload swaps the set whole (a lift empties it)
    sql = "SELECT count(*) FROM payments"
    if served:
        outcome = await run(pipeline, who, sql)
        assert outcome.result.row_count == 1
        assert sink.records[-1].outcome == "served" and sink.records[-1].at == SIMULATED
    else:
        with pytest.raises(PrincipalSuspended):
            await run(pipeline, who, sql)


async def test_without_a_gate_nothing_is_refused(
    gated: Gated,
) -> None:
    pipeline, _, _ = gated
    pipeline.gate = None
    outcome = await run(pipeline, COLLECTOR, "SELECT count(*) FROM payments")
    assert outcome.result.row_count == 1


async def test_the_wire_planner_refuses_the_whole_text_as_one_statement(
    gated: Gated,
) -> None:
    pipeline, book, _ = gated
    book.replace([SUSPENDED])
    sql = "BEGIN; SELECT 1; COMMIT"
    request = QueryRequest(COLLECTOR, "debt_collection", sql, (), "pgwire", None)
    [planned] = await pipeline.plan_each(request)
    assert planned.plan is None and isinstance(planned.refusal, PrincipalSuspended)
    book.replace([])
    assert len(await pipeline.plan_each(request)) == 3


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        pytest.param("SELECT * FROM employees", ["public.employees"], id="denied-table"),
        pytest.param(
            "SELECT d.id FROM debtors d JOIN employees e ON e.id = d.id",
            ["public.debtors", "public.employees"],
            id="join-names-both",
        ),
        pytest.param("SELECT salary FROM nowhere", None, id="not-analysed-no-tables"),
    ],
)
async def test_refused_records_name_the_tables(
    gated: Gated, sql: str, tables: list[str] | None
) -> None:
    pipeline, _, sink = gated
    with pytest.raises(ProxyError) as refused:
        await run(pipeline, COLLECTOR, sql)
    named = refused.value.tables if isinstance(refused.value, AccessDenied) else ()
    assert named == tuple(tables or ())
    assert sink.records[-1].extra == ({"tables": tables} if tables else {})
    assert sink.records[-1].outcome == "denied"
