"""Which of the client's conditions are copied inside the masking fence, and which never are."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.pipeline.test_plan import plan


def inside_fence(snapshot: Any, sql: str) -> str:
    """The WHERE of the masking subquery: what sits between FROM ONLY ... and OFFSET 0."""
    rewritten = plan(snapshot, "collector", sql).sql
    return rewritten.split("FROM ONLY public.debtors", 1)[1].split("OFFSET 0", 1)[0]


@pytest.mark.parametrize(
    ("sql", "pushed"),
    [
        pytest.param("SELECT iin FROM debtors WHERE id = $1", "id = $1", id="param"),
        pytest.param("SELECT iin FROM debtors d WHERE d.id = 7", "id = 7", id="qualified"),
        pytest.param("SELECT iin FROM debtors WHERE 7 <= id", "7 <= id", id="reversed"),
        pytest.param(
            "SELECT iin FROM debtors WHERE region = 'Алматы' AND id > 3", "id > 3", id="conjunction"
        ),
        pytest.param(
            "SELECT iin FROM debtors WHERE id = '7'::int", "id = CAST('7' AS integer)", id="cast"
        ),
    ],
)
def test_leakproof_comparisons_on_clear_columns_are_copied(
    snapshot: Any, sql: str, pushed: str
) -> None:
    assert pushed in inside_fence(snapshot, sql)


@pytest.mark.parametrize(
    ("sql", "never"),
    [
        pytest.param(
            "SELECT id FROM debtors WHERE iin = '580604454662'", "580604454662", id="masked-column"
        ),
        pytest.param(
            "SELECT id FROM debtors WHERE debt_amount = 100", "100", id="numeric-not-leakproof"
        ),
        pytest.param(
            "SELECT id FROM debtors WHERE 1 / (debt_amount - 100) > 0", "/", id="error-oracle"
        ),
        pytest.param("SELECT id FROM debtors WHERE id = 7 OR id = 8", " 8", id="disjunction"),
        pytest.param(
            "SELECT d.id FROM debtors d LEFT JOIN payments p ON p.debtor_id = d.id WHERE d.id = 7",
            "= 7",
            id="inside-a-join",
        ),
        pytest.param(
            "SELECT id FROM debtors WHERE id = 7 UNION ALL SELECT id FROM debtors",
            "= 7",
            id="same-alias-twice",
        ),
        pytest.param(
            "SELECT id FROM debtors WHERE id = length(region)", "length", id="function-value"
        ),
    ],
)
def test_other_conditions_stay_outside(snapshot: Any, sql: str, never: str) -> None:
    assert never not in inside_fence(snapshot, sql)


async def test_a_primary_key_lookup_uses_the_index(fresh_dsn: str, snapshot: Any) -> None:
    sql = plan(snapshot, "collector", "SELECT iin, debt_amount FROM debtors WHERE id = 7").sql
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await conn.execute("SET enable_seqscan = off")  # 120 rows: make the choice visible
        explained = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {sql}"))
    finally:
        await conn.close()
    assert "Index Scan using debtors_pkey" in explained, explained


def test_each_alias_gets_only_its_own_conditions(snapshot: Any) -> None:
    rewritten = plan(
        snapshot, "collector", "SELECT a.id FROM debtors a, debtors b WHERE a.id = 7"
    ).sql
    first, second = rewritten.split("OFFSET 0")[:2]
    assert "id = 7" in first and "id = 7" not in second
