"""The wire door's planner: a text whose template was planned gets the plan it would have got
on its own, with its own literals, and texts where a literal means more than a value are
planned as they are."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, cast

import pytest
from pglast import parse_sql
from pglast.stream import RawStream

from proxy.errors import ProxyError
from proxy.pipeline import wire_plan
from proxy.pipeline.catalog import CatalogHolder
from proxy.pipeline.plan import StatementPlan, plan_statement
from proxy.pipeline.request import QueryRequest
from proxy.pipeline.wire_plan import PlannedStatement, WirePlanner
from proxy.sql import analyze_sql
from proxy.upstream.pool import Upstream
from tests.pipeline.test_plan import WHO
from tests.policy.support import redteam_engine

NO_UPSTREAM = cast(Upstream, None)  # these texts name known tables: the catalogue is not re-read


def request(who: str, sql: str) -> QueryRequest:
    principal, purpose = WHO[who]
    return QueryRequest(principal, purpose, sql, (), "pgwire", None)


def canonical(sql: str) -> str:
    """The SQL as pglast prints it: `- 5` and `-5`, `1.50` and `1.50` read alike."""
    return ";\n".join(RawStream()(statement) for statement in parse_sql(sql))


def comparable(statement: PlannedStatement) -> tuple[str, StatementPlan | str]:
    if statement.refusal is not None or statement.plan is None:
        return statement.text, type(statement.refusal).__name__
    return statement.text, replace(statement.plan, sql=canonical(statement.plan.sql))


def planned_alone(snapshot: Any, who: str, sql: str) -> list[tuple[str, StatementPlan | str]]:
    """Each statement of `sql` analysed and planned from its own text: the oracle."""
    principal, purpose = WHO[who]
    plans: list[tuple[str, StatementPlan | str]] = []
    for parsed, analysis in analyze_sql(sql, snapshot):
        try:
            plan = plan_statement(parsed, analysis, snapshot, redteam_engine(), principal, purpose)
        except ProxyError as exc:
            plans.append((parsed.text, type(exc).__name__))
            continue
        plans.append((parsed.text, replace(plan, sql=canonical(plan.sql))))
    return plans


@pytest.mark.parametrize(
    ("who", "first", "second", "from_template"),
    [
        pytest.param("collector", "SELECT id, iin, notes FROM debtors WHERE id = 7",
                     "SELECT id, iin, notes FROM debtors WHERE id = 8", True, id="masked"),
        pytest.param("collector", "SELECT id FROM debtors WHERE region = 'Алматы' LIMIT 3",
                     "SELECT id FROM debtors WHERE region = 'Астана' LIMIT 40", True,
                     id="cyrillic-and-limit"),
        pytest.param("dpo", "SELECT iin FROM debtors WHERE notes = 'a'",
                     "SELECT iin FROM debtors WHERE notes = '$1 '' $$x$$ -- /*'", True,
                     id="literal-that-looks-like-sql"),
        pytest.param("collector", "SELECT id FROM debtors WHERE debt_amount > -5",
                     "SELECT id FROM debtors WHERE debt_amount > -1.5e3", False,
                     id="another-kind-of-literal"),
        pytest.param("collector", "SELECT 1; SELECT id FROM debtors WHERE id = $$2$$",
                     "SELECT 5; SELECT id FROM debtors WHERE id = E'\\x33'", True,
                     id="two-statements"),
        pytest.param("collector", "SELECT id, iin FROM debtors ORDER BY 1",
                     "SELECT id, iin FROM debtors ORDER BY 2", False, id="order-by-position"),
        pytest.param("collector", "SELECT region, count(*) FROM debtors GROUP BY 1",
                     "SELECT iin, count(*) FROM debtors GROUP BY 1", False,
                     id="group-by-position"),
        pytest.param("collector", "SELECT region, id FROM debtors GROUP BY ROLLUP (1, 2)",
                     "SELECT region, id FROM debtors GROUP BY ROLLUP (2, 1)", False,
                     id="grouping-set-position"),
        pytest.param("collector", "SELECT DISTINCT ON (1) id, iin FROM debtors",
                     "SELECT DISTINCT ON (2) id, iin FROM debtors", False,
                     id="distinct-on-position"),
        pytest.param("collector", "SELECT interval '1 day', B'1'::bit, X'1F', -1.5e3",
                     "SELECT interval '2 days', B'0'::bit, X'2F', -2.5e3", True,
                     id="typed-literals"),
        pytest.param("collector", "SELECT 'x'::varchar(3), interval '1' day",
                     "SELECT 'x'::varchar(4), interval '2' day", False, id="type-modifiers"),
        pytest.param("collector", "SELECT iin FROM employees WHERE id = 1",
                     "SELECT iin FROM employees WHERE id = 2", False, id="refused"),
        pytest.param("collector", "SELECT id, notes FROM debtors ORDER BY - -1",
                     "SELECT id, notes FROM debtors ORDER BY - -2", False,
                     id="order-by-a-folded-position"),
        pytest.param("collector", "SELECT id, notes FROM debtors GROUP BY id, - -1",
                     "SELECT id, notes FROM debtors GROUP BY id, -(-2)", False,
                     id="group-by-a-folded-position"),
        pytest.param("collector", "SELECT N'x' FROM debtors", "SELECT N'y' FROM debtors", False,
                     id="literal-glued-to-a-name"),
        pytest.param("collector", "SELECT (2).* - id FROM debtors WHERE id = 1",
                     "SELECT (3).* - id FROM debtors WHERE id = 1", True,
                     id="literal-beside-a-field-selection"),
        pytest.param("collector", "SELECT id FROM debtors WHERE id = $1",
                     "SELECT id FROM debtors WHERE id = $1 OR id = 3", False,
                     id="parameters-of-its-own"),
    ],
)  # fmt: skip
def test_a_text_gets_the_plan_it_would_get_alone(
    snapshot: Any,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    first: str,
    second: str,
    from_template: bool,
) -> None:
    planner = WirePlanner(redteam_engine(), CatalogHolder(snapshot, NO_UPSTREAM), 64)
    parses: list[str] = []
    parse = wire_plan.parse_statements
    monkeypatch.setattr(wire_plan, "parse_statements", lambda sql, limits: [
        parses.append(sql), parse(sql, limits)][1])  # fmt: skip

    asyncio.run(planner.plan_each(request(who, first)))
    parses.clear()
    got = asyncio.run(planner.plan_each(request(who, second)))

    assert [comparable(statement) for statement in got] == planned_alone(snapshot, who, second)
    assert (not parses) == from_template, parses


def test_a_template_plan_puts_each_texts_literals_back(snapshot: Any) -> None:
    planner = WirePlanner(redteam_engine(), CatalogHolder(snapshot, NO_UPSTREAM), 64)
    asyncio.run(planner.plan_each(request("collector", "SELECT iin FROM debtors WHERE id = 7")))
    [got] = asyncio.run(
        planner.plan_each(request("collector", "SELECT iin FROM debtors WHERE id = 41"))
    )
    assert got.plan is not None
    assert got.text == "SELECT iin FROM debtors WHERE id = 41"
    assert "= (41)" in got.plan.sql and "$" not in got.plan.sql
