"""Decide and rewrite: what each principal's statement becomes, or why it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.errors import AccessDenied
from proxy.identity.principals import Principal
from proxy.pipeline.plan import StatementPlan, plan_statement
from proxy.sql import analyze_sql
from tests.policy.support import redteam_engine

COLLECTOR = Principal(
    "collector", ("collector",), ("debt_collection",), "debt_collection", {"region": "Алматы"}
)
DPO = Principal("dpo", ("dpo",), ("dpo_review",), "dpo_review", {})
WHO = {"collector": (COLLECTOR, "debt_collection"), "dpo": (DPO, "dpo_review")}


def plan(snapshot: Any, who: str, sql: str) -> StatementPlan:
    principal, purpose = WHO[who]
    [(parsed, analysis)] = analyze_sql(sql, snapshot)
    return plan_statement(parsed, analysis, snapshot, redteam_engine(), principal, purpose)


@pytest.mark.parametrize(
    ("who", "sql", "masked", "redacted", "scrub"),
    [
        pytest.param(
            "collector",
            "SELECT id, debt_amount FROM debtors",
            (False, False),
            (False, False),
            True,
            id="clear-columns-still-filtered",
        ),
        pytest.param(
            "collector",
            "SELECT iin, notes FROM debtors",
            (True, True),
            (False, True),
            True,
            id="masked-and-redacted",
        ),
        pytest.param(
            "collector", "SELECT d FROM debtors d", (True,), (False,), True, id="whole-row"
        ),
        pytest.param(
            "collector", "SELECT amount FROM payments", (False,), (False,), False, id="clear-table"
        ),
        pytest.param(
            "dpo",
            "SELECT iin, notes FROM debtors",
            (False, False),
            (False, False),
            False,
            id="dpo-clear",
        ),
    ],
)
def test_plans(
    snapshot: Any,
    who: str,
    sql: str,
    masked: tuple[bool, ...],
    redacted: tuple[bool, ...],
    scrub: bool,
) -> None:
    result = plan(snapshot, who, sql)
    assert (result.masked_outputs, result.redacted_outputs, result.scrub_errors) == (
        masked,
        redacted,
        scrub,
    )


@pytest.mark.parametrize(
    ("who", "sql", "fragment", "absent"),
    [
        pytest.param("collector", "SELECT id FROM debtors", "OFFSET 0", None, id="fenced"),
        pytest.param(
            "collector",
            "SELECT id FROM debtors",
            "region = 'Алматы'",
            None,
            id="row-filter-literal",
        ),
        pytest.param(
            "collector",
            "SELECT d FROM debtors d",
            "CAST(NULL AS text) AS notes",
            None,
            id="whole-row-nulls-free-text",
        ),
        pytest.param(
            "collector",
            "SELECT notes FROM debtors",
            "debt_amount, notes, region",
            "CAST(NULL AS text) AS notes",
            id="projected-free-text-kept-for-redaction",
        ),
        pytest.param(
            "dpo", "SELECT iin FROM debtors", "FROM debtors", "OFFSET 0", id="dpo-not-rewritten"
        ),
        pytest.param(
            "collector",
            "SELECT amount FROM payments",
            "FROM payments",
            "OFFSET 0",
            id="clear-table-not-rewritten",
        ),
    ],
)
def test_rewritten_sql(
    snapshot: Any, who: str, sql: str, fragment: str, absent: str | None
) -> None:
    rewritten = plan(snapshot, who, sql).sql
    assert fragment in rewritten
    if absent is not None:
        assert absent not in rewritten


@pytest.mark.parametrize(
    ("who", "sql", "reason"),
    [
        pytest.param("collector", "SELECT upper(notes) FROM debtors", "free text", id="expr"),
        pytest.param(
            "collector",
            "SELECT id FROM debtors WHERE notes LIKE '%a%'",
            "free text",
            id="predicate",
        ),
        pytest.param("collector", "SELECT id FROM debtors ORDER BY notes", "free text", id="order"),
        pytest.param("collector", "SELECT * FROM employees", "employees", id="denied-table"),
        pytest.param("collector", "UPDATE payments SET amount = 0", "update", id="write"),
        pytest.param("dpo", "DELETE FROM payments", "delete", id="dpo-read-only"),
        pytest.param("collector", "SHOW timezone", "not served", id="show"),
    ],
)
def test_refusals(snapshot: Any, who: str, sql: str, reason: str) -> None:
    with pytest.raises(AccessDenied) as caught:
        plan(snapshot, who, sql)
    assert reason in caught.value.message
    assert caught.value.sqlstate == "42501"
