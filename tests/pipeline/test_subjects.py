"""Whose rows a statement returned or changed: subject keys carried through the rewrite."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.pipeline import Pipeline
from proxy.pipeline.plan import plan_statement
from proxy.pipeline.subjects import HIDDEN_PREFIX
from proxy.sql import analyze_sql
from tests.pipeline.fixture_db import ANALYST, COLLECTOR, DPO, direct, dsn, pipeline, policies, run
from tests.pipeline.test_plan import COLLECTOR as PLAN_COLLECTOR
from tests.policy.support import redteam_engine

__all__ = ["dsn", "pipeline", "policies"]  # fixtures

DEBTORS = "public.debtors"


@pytest.mark.parametrize(
    ("sql", "hidden", "carried", "determined"),
    [
        ("SELECT full_name FROM debtors WHERE id < 5", 1, [DEBTORS], True),
        (
            "SELECT d.id, p.amount FROM debtors d JOIN payments p ON p.debtor_id = d.id",
            2,
            [DEBTORS, DEBTORS, DEBTORS],
            True,
        ),
        ("SELECT * FROM (SELECT id, iin FROM debtors) x", 0, [DEBTORS], True),
        ("SELECT x.iin FROM (SELECT iin FROM debtors) x", 0, [], False),
        ("SELECT count(*) FROM debtors", 0, [], True),  # nobody's row is returned
        ("SELECT avg(debt_amount) FROM debtors", 0, [], False),
        ("SELECT region, count(*) FROM debtors GROUP BY region", 0, [], False),
        ("SELECT DISTINCT region FROM debtors", 0, [], False),
        ("SELECT id FROM debtors UNION SELECT debtor_id FROM payments", 0, [DEBTORS], True),
        ("SELECT iin FROM debtors UNION SELECT iin FROM debtors", 0, [], False),
        ("SELECT amount, row_number() OVER () FROM payments", 1, [DEBTORS], True),
        ("SELECT 1", 0, [], True),
    ],
)
def test_where_the_subjects_of_a_result_are(
    snapshot: Any, sql: str, hidden: int, carried: list[str], determined: bool
) -> None:
    [(parsed, analysis)] = analyze_sql(sql, snapshot)
    plan = plan_statement(
        parsed, analysis, snapshot, redteam_engine(), PLAN_COLLECTOR, "debt_collection"
    )
    assert plan.subjects.hidden == hidden
    assert sorted(c.of for c in plan.subjects.columns) == carried
    assert plan.subjects.determined is determined
    assert plan.sql.count(HIDDEN_PREFIX) == hidden
    assert plan.sql.count(HIDDEN_PREFIX) == 0 or plan.sql.index(HIDDEN_PREFIX) > 0
    again = plan_statement(
        parsed, analysis, snapshot, redteam_engine(), PLAN_COLLECTOR, "debt_collection"
    )
    assert again.sql == plan.sql, "the tree is restored: planning twice gives one text"


async def test_a_read_names_exactly_the_subjects_it_returned(pipeline: Pipeline) -> None:
    outcome = await run(pipeline, COLLECTOR, "SELECT full_name FROM debtors WHERE id IN (1, 2)")
    assert [c.name for c in outcome.result.columns] == ["full_name"]
    assert all(len(row) == 1 for row in outcome.result.rows)
    assert outcome.subjects == {(DEBTORS, "1"), (DEBTORS, "2")}
    assert outcome.subjects_determined


async def test_the_row_filter_bounds_the_subjects(pipeline: Pipeline, dsn: str) -> None:
    outcome = await run(pipeline, COLLECTOR, "SELECT debt_amount FROM debtors")
    visible = await direct(dsn, "SELECT id FROM debtors WHERE region = 'Алматы'")
    assert outcome.subjects == {(DEBTORS, str(r["id"])) for r in visible}
    everyone = await run(pipeline, DPO, "SELECT debt_amount FROM debtors")
    assert len(everyone.subjects) > len(outcome.subjects)


async def test_a_write_names_the_subjects_it_changed(pipeline: Pipeline, dsn: str) -> None:
    ids = [r["id"] for r in await direct(dsn, "SELECT id FROM payments ORDER BY id LIMIT 3")]
    owners = await direct(dsn, f"SELECT debtor_id FROM payments WHERE id IN {tuple(ids)}")
    outcome = await run(
        pipeline, ANALYST, f"UPDATE payments SET amount = amount WHERE id IN {tuple(ids)}"
    )
    assert outcome.result.status == "UPDATE 3"
    assert (outcome.result.rows, outcome.result.columns) == ([], ())
    assert outcome.result.row_count == 3
    assert outcome.subjects == {(DEBTORS, str(r["debtor_id"])) for r in owners}


async def test_hidden_keys_never_reach_the_client(pipeline: Pipeline) -> None:
    outcome = await run(pipeline, DPO, "SELECT * FROM debtors WHERE id = 1")
    names = [c.name for c in outcome.result.columns]
    assert not any(name.startswith(HIDDEN_PREFIX) for name in names)
    assert len(outcome.result.rows[0]) == len(names) == 10  # the fixture's debtors columns
