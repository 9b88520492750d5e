"""Masking subqueries on a real PostgreSQL: each mask keeps the column's type and shows only
what its operator allows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from proxy.pipeline.masking import masking_subquery
from proxy.sql import load_catalog_snapshot
from proxy.sql.quoting import quote_ident
from tests.policy.support import redteam_engine

COLLECTOR = ("collector",)


@pytest.fixture(scope="module")
def snapshot(fresh_dsn: str) -> Iterator[Any]:
    async def prepare() -> Any:
        conn = await asyncpg.connect(fresh_dsn)
        try:
            await conn.execute(
                "CREATE TABLE debtors (id int PRIMARY KEY, iin char(12), full_name text, "
                "phone text, email text, address text, birth_date date, "
                "debt_amount numeric(12,2), notes text, region text NOT NULL)"
            )
            await conn.execute(
                "INSERT INTO debtors VALUES (1, '850101300124', 'Ахметов Нурлан', '+77011234567',"
                " 'a@b.kz', 'ул. Абая 1', '1985-01-01', 10.50, 'тел. +77011234567', 'Алматы'),"
                " (2, '850101300124', 'x', NULL, NULL, NULL, NULL, 1, NULL, 'Астана'),"
                " (3, '12', 'y', '123', NULL, NULL, NULL, 2, NULL, 'Алматы')"
            )
            return await load_catalog_snapshot(conn)
        finally:
            await conn.close()

    yield asyncio.run(prepare())


async def fetch(dsn: str, sql: str) -> tuple[list[Any], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        statement = await conn.prepare(sql)
        return list(await statement.fetch()), [a.type.name for a in statement.get_attributes()]
    finally:
        await conn.close()


def collector_subquery(snapshot: Any, region: str = "Алматы") -> str:
    decision = redteam_engine().decide(
        COLLECTOR,
        "debt_collection",
        "select",
        "public.debtors",
        [c.name for c in snapshot.relation("public", "debtors").columns],
    )
    return masking_subquery(snapshot.relation("public", "debtors"), decision, {"region": region})


def test_types_stay_identical(fresh_dsn: str, snapshot: Any) -> None:
    _, clear = asyncio.run(fetch(fresh_dsn, "SELECT * FROM debtors"))
    _, masked = asyncio.run(fetch(fresh_dsn, collector_subquery(snapshot)))
    assert masked == clear


@pytest.mark.parametrize(
    ("row_id", "column", "expected"),
    [
        pytest.param(1, "iin", "********0124", id="iin-last4"),
        pytest.param(3, "iin", "**", id="iin-short-all-stars"),
        pytest.param(1, "full_name", None, id="name-null"),
        pytest.param(1, "phone", None, id="phone-null"),
        pytest.param(1, "birth_date", None, id="birth-date-null"),
        pytest.param(1, "debt_amount", "10.50", id="amount-clear"),
        pytest.param(1, "notes", "тел. +77011234567", id="notes-raw-for-output-redaction"),
    ],
)
def test_masked_values(
    fresh_dsn: str, snapshot: Any, row_id: int, column: str, expected: str | None
) -> None:
    masked = collector_subquery(snapshot)
    sql = f"SELECT {quote_ident(column)}::text FROM ({masked}) d WHERE id = {row_id}"
    rows, _ = asyncio.run(fetch(fresh_dsn, sql))
    assert [r[0] for r in rows] == [expected]


def test_row_filter_hides_other_regions_behind_a_fence(fresh_dsn: str, snapshot: Any) -> None:
    subquery = collector_subquery(snapshot)
    assert subquery.endswith("OFFSET 0")
    rows, _ = asyncio.run(fetch(fresh_dsn, f"SELECT id FROM ({subquery}) d ORDER BY id"))
    assert [r[0] for r in rows] == [1, 3]
    # the fence: a predicate that fails on the hidden row (debt 1 → division by zero) is never
    # evaluated on it
    oracle = f"SELECT id FROM ({subquery}) d WHERE 1 / (debt_amount - 1) > 0"
    rows, _ = asyncio.run(fetch(fresh_dsn, oracle))
    assert [r[0] for r in rows] == [1, 3]


def test_region_literal_cannot_break_out(fresh_dsn: str, snapshot: Any) -> None:
    subquery = collector_subquery(snapshot, region="x' OR '1'='1")
    rows, _ = asyncio.run(fetch(fresh_dsn, f"SELECT count(*) FROM ({subquery}) d"))
    assert rows[0][0] == 0
