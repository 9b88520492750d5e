"""The catalogue snapshot loaded from a real PostgreSQL holding the red-team fixture.

Loads ../shared/redteam/schema.sql into a fresh database, reads the snapshot with asyncpg, and
checks that analysis against it agrees with PostgreSQL: resolution of the fixture's tables, a
user function shadowing a pg_catalog name, and rewritten SQL that the server runs with the mask.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from proxy.sql import (
    CatalogSnapshot,
    StatementDenied,
    analyze_sql,
    load_catalog_snapshot,
    rewrite,
)
from tests.sql.support import summary

SCHEMA = Path("/work/shared/redteam/schema.sql")
MASK = (
    "SELECT id, 'XXXXXXXXXXXX'::bpchar(12) AS iin, '***'::text AS full_name, NULL::text AS phone,"
    " NULL::text AS email, NULL::text AS address, NULL::date AS birth_date, debt_amount,"
    " NULL::text AS notes, region FROM ONLY public.debtors OFFSET 0"
)


async def _snapshot(dsn: str, setup: str = "") -> CatalogSnapshot:
    conn = await asyncpg.connect(dsn)
    try:
        if setup:
            await conn.execute(setup)
        return await load_catalog_snapshot(conn)
    finally:
        await conn.close()


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def fixture_dsn(fresh_dsn: str) -> Iterator[str]:
    asyncio.run(_snapshot(fresh_dsn, SCHEMA.read_text(encoding="utf-8")))
    yield fresh_dsn


@pytest.fixture(scope="module")
def live(fixture_dsn: str) -> CatalogSnapshot:
    return asyncio.run(_snapshot(fixture_dsn))


def test_relations_and_columns_in_order(live: CatalogSnapshot) -> None:
    debtors = live.relation("public", "debtors")
    assert debtors is not None and debtors.relkind == "r"
    assert [c.name for c in debtors.columns][:3] == ["id", "iin", "full_name"]
    iin = debtors.column("iin")
    assert iin is not None and (iin.attnum, iin.type_name) == (2, "character(12)")
    amount = debtors.column("debt_amount")
    assert amount is not None and amount.type_name == "numeric(12,2)"


def test_system_relations_and_functions_are_loaded(live: CatalogSnapshot) -> None:
    assert live.relation("pg_catalog", "pg_stats") is not None
    assert live.relation("information_schema", "columns") is not None
    assert ("pg_catalog", "lower") in live.functions
    assert live.user_functions_named("lower") == ()


def test_children_know_their_parents(fixture_dsn: str) -> None:
    setup = "CREATE TABLE debtors_2024 () INHERITS (debtors)"
    child = asyncio.run(_snapshot(fixture_dsn, setup)).relation("public", "debtors_2024")
    asyncio.run(_snapshot(fixture_dsn, "DROP TABLE debtors_2024"))
    assert child is not None and child.parents == (("public", "debtors"),)
    assert [c.name for c in child.columns][:2] == ["id", "iin"]


def test_version_is_stable_for_the_same_schema(fixture_dsn: str, live: CatalogSnapshot) -> None:
    assert asyncio.run(_snapshot(fixture_dsn)).version == live.version


ANALYSED = [
    ("masked_star", "SELECT * FROM debtors WHERE id = 7", "select rel=debtors proj=debtors[*] "
     "impl=debtors[id]"),
    ("system_view", "SELECT attname FROM pg_stats WHERE tablename = 'debtors'",
     "select rel=pg_catalog.pg_stats proj=pg_stats[attname] impl=pg_stats[tablename]"),
    ("information_schema", "SELECT column_name FROM information_schema.columns",
     "select rel=information_schema.columns proj=columns[column_name]"),
    ("join", "SELECT d.id, sum(p.amount) FROM debtors d JOIN payments p ON p.debtor_id = d.id "
     "GROUP BY d.id", "select rel=debtors,payments proj=debtors[id] expr=payments[amount] "
     "impl=debtors[id]+payments[debtor_id] fn=sum"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "expected"), [c[1:] for c in ANALYSED], ids=[c[0] for c in ANALYSED]
)
def test_analysis_against_live_snapshot(sql: str, expected: str, live: CatalogSnapshot) -> None:
    ((_, analysis),) = analyze_sql(sql, live)
    assert summary(analysis, live) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT d.iin, d.full_name FROM debtors d WHERE d.iin LIKE '57%' AND d.id = 1",
        "SELECT b.iin FROM (WITH debtors AS (SELECT 1 AS iin) SELECT * FROM debtors) a, "
        "debtors b WHERE b.id = 1",
        "SELECT row_to_json(d)::text FROM debtors d WHERE d.id = 1",
    ],
    ids=["predicate_on_mask", "cte_scope_confusion", "whole_row"],
)
def test_rewritten_sql_runs_and_masks(sql: str, fixture_dsn: str, live: CatalogSnapshot) -> None:
    ((parsed, analysis),) = analyze_sql(sql, live)
    text = rewrite(parsed.stmt, analysis, {("public", "debtors"): lambda alias: MASK})
    rows = asyncio.run(_fetch(fixture_dsn, text))
    flat = " ".join(str(value) for row in rows for value in row)
    assert "570913378601" not in flat and "Новикова" not in flat


def test_mask_applies_before_the_predicate(fixture_dsn: str, live: CatalogSnapshot) -> None:
    ((parsed, analysis),) = analyze_sql("SELECT id FROM debtors WHERE iin LIKE '57%'", live)
    text = rewrite(parsed.stmt, analysis, {("public", "debtors"): lambda alias: MASK})
    assert asyncio.run(_fetch(fixture_dsn, text)) == []


def test_user_function_shadowing_pg_catalog_is_denied(fixture_dsn: str) -> None:
    setup = "CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1'"
    shadowed = asyncio.run(_snapshot(fixture_dsn, setup))
    with pytest.raises(StatementDenied, match="exists in schema public"):
        analyze_sql("SELECT lower(full_name) FROM debtors", shadowed)
    asyncio.run(_snapshot(fixture_dsn, "DROP FUNCTION public.lower(text)"))
