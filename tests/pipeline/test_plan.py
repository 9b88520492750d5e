"""Decide and rewrite: what each principal's statement becomes, or why it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.errors import AccessDenied, ProxyError
from proxy.identity.principals import Principal
from proxy.pipeline.plan import ProxyMask, StatementPlan, TripWire, plan_statement
from proxy.policy import MaskOperator, PolicyEngine
from proxy.sql import analyze_sql
from tests.policy.support import MODEL, REDTEAM, redteam_engine, write_policies

COLLECTOR = Principal(
    "collector", ("collector",), ("debt_collection",), "debt_collection", {"region": "Алматы"}
)
DPO = Principal("dpo", ("dpo",), ("dpo_review",), "dpo_review", {})
WHO = {"collector": (COLLECTOR, "debt_collection"), "dpo": (DPO, "dpo_review")}


def plan(snapshot: Any, who: str, sql: str) -> StatementPlan:
    principal, purpose = WHO[who]
    [(parsed, analysis)] = analyze_sql(sql, snapshot)
    return plan_statement(parsed, analysis, snapshot, redteam_engine(), principal, purpose)


REDACTED = ProxyMask(MaskOperator.REDACT)
WIRE = TripWire  # outputs fed by columns the catalogue does not classify, for the collector


@pytest.mark.parametrize(
    ("who", "sql", "masked", "by_proxy", "tripwires", "scrub"),
    [
        pytest.param(
            "collector",
            "SELECT id, debt_amount FROM debtors",
            (False, False),
            (None, None),
            (WIRE(("public.debtors.id",)), WIRE(("public.debtors.debt_amount",))),
            True,
            id="clear-columns-still-filtered",
        ),
        pytest.param(
            "collector",
            "SELECT iin, notes FROM debtors",
            (True, True),
            (None, REDACTED),
            (None, None),
            True,
            id="masked-and-redacted",
        ),
        pytest.param(
            "collector",
            "SELECT iin || region AS x FROM debtors",
            (True,),
            (None,),
            (WIRE(("public.debtors.region",)),),
            True,
            id="masked-mixed-with-unclassified",
        ),
        pytest.param(
            "collector",
            "SELECT d FROM debtors d",
            (True,),
            (None,),
            (
                WIRE(
                    (
                        "public.debtors.debt_amount",
                        "public.debtors.id",
                        "public.debtors.region",
                    )
                ),
            ),
            True,
            id="whole-row",
        ),
        pytest.param(
            "collector",
            "SELECT amount FROM payments",
            (False,),
            (None,),
            (WIRE(("public.payments.amount",)),),
            False,
            id="clear-table",
        ),
        pytest.param(
            "dpo",
            "SELECT iin, notes, region FROM debtors",
            (False, False, False),
            (None, None, None),
            (None, None, None),
            False,
            id="dpo-clear-and-trusted",
        ),
    ],
)
def test_plans(
    snapshot: Any,
    who: str,
    sql: str,
    masked: tuple[bool, ...],
    by_proxy: tuple[ProxyMask | None, ...],
    tripwires: tuple[TripWire | None, ...],
    scrub: bool,
) -> None:
    result = plan(snapshot, who, sql)
    assert (result.masked_outputs, result.proxy_masks, result.tripwires, result.scrub_errors) == (
        masked,
        by_proxy,
        tripwires,
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


# Writers of payments who read debtors partly masked: `clerk` may insert but not update,
# `keeper` may do both; `bookkeeper` may update payments but not their amount, and may not
# read their date (an UPDATE's WHERE and RETURNING read, as a SELECT does). Checks that
# ON CONFLICT DO UPDATE is decided as an update too, that every write action must allow a
# written column, and that values copied into a write come from the masking subquery.
WRITERS_POLICY = """\
p, clerk, public.payments.*, select, work, allow, allow, 100
p, clerk, public.payments.*, insert, work, allow, allow, 100
p, keeper, public.payments.*, select, work, allow, allow, 100
p, keeper, public.payments.*, insert, work, allow, allow, 100
p, keeper, public.payments.*, update, work, allow, allow, 100
p, keeper, public.debtors.iin, select, work, allow, mask:partial_last4, 100
p, keeper, public.debtors.notes, select, work, allow, mask:redact, 100
p, keeper, public.debtors.*, select, work, allow, allow, 150
p, keeper, public.debtors.*, insert, work, allow, allow, 150
p, keeper, public.debtors.*, update, work, allow, allow, 150
p, bookkeeper, public.payments.*, select, work, allow, allow, 100
p, bookkeeper, public.payments.*, update, work, allow, allow, 100
p, bookkeeper, public.payments.amount, update, work, deny, deny, 50
p, bookkeeper, public.payments.paid_at, select, work, deny, deny, 50
"""
VALUES = "INSERT INTO payments (id, debtor_id, paid_at, amount) VALUES (1, 7, current_date, 5)"
UPSERT = f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount"


@pytest.fixture(scope="module")
def writers(tmp_path_factory: pytest.TempPathFactory) -> PolicyEngine:
    catalogue = (REDTEAM / "catalogue.toml").read_text(encoding="utf-8")
    folder = write_policies(tmp_path_factory.mktemp("writers"), WRITERS_POLICY, catalogue)
    return PolicyEngine.load(folder, MODEL)


def writer_plan(snapshot: Any, engine: PolicyEngine, role: str, sql: str) -> StatementPlan:
    principal = Principal(role, (role,), ("work",), "work", {})
    [(parsed, analysis)] = analyze_sql(sql, snapshot)
    return plan_statement(parsed, analysis, snapshot, engine, principal, "work")


@pytest.mark.parametrize(
    ("role", "sql", "reason"),
    [
        pytest.param("clerk", UPSERT, "update", id="upsert-needs-update"),
        pytest.param(
            "clerk",
            f"{VALUES} ON CONFLICT ON CONSTRAINT payments_pkey DO UPDATE SET amount = 0",
            "update",
            id="upsert-on-constraint-needs-update",
        ),
        pytest.param(
            "bookkeeper",
            "UPDATE payments SET amount = 0 WHERE id = 1",
            "payments.amount is denied",
            id="column-denied-for-update",
        ),
        pytest.param(
            "bookkeeper",
            "UPDATE payments SET amount = amount + 1 WHERE amount > 0 RETURNING amount",
            "payments.amount is denied",
            id="column-denied-for-update-though-readable",
        ),
        pytest.param(
            "bookkeeper",
            "UPDATE payments SET debtor_id = debtor_id WHERE paid_at < '2020-01-01'",
            "payments.paid_at is denied",
            id="update-where-on-unreadable-column",
        ),
        pytest.param(
            "bookkeeper",
            "UPDATE payments SET debtor_id = debtor_id WHERE id = 1 RETURNING paid_at",
            "payments.paid_at is denied",
            id="update-returning-unreadable-column",
        ),
        pytest.param(
            "keeper",
            "UPDATE payments p SET (amount, paid_at) = (SELECT length(d.notes), current_date "
            "FROM debtors d WHERE d.id = p.debtor_id)",
            "free text",
            id="free-text-in-multi-assign-sub-select",
        ),
        pytest.param(
            "keeper",
            f"{UPSERT} RETURNING (SELECT max(salary) FROM employees)",
            "employees",
            id="upsert-returning-denied-table",
        ),
        pytest.param(
            "keeper",
            "INSERT INTO debtors (id, region) VALUES (7, 'A') ON CONFLICT (id) DO UPDATE "
            "SET region = EXCLUDED.region RETURNING iin",
            "masked",
            id="upsert-returning-masked-column",
        ),
        pytest.param(
            "keeper",
            f"{VALUES} ON CONFLICT (id) DO NOTHING RETURNING (SELECT "
            "notes FROM debtors LIMIT 1) || 'x'",
            "free text",
            id="returning-free-text",
        ),
    ],
)
def test_writer_refusals(
    snapshot: Any, writers: PolicyEngine, role: str, sql: str, reason: str
) -> None:
    with pytest.raises(AccessDenied) as caught:
        writer_plan(snapshot, writers, role, sql)
    assert reason in caught.value.message
    assert caught.value.sqlstate == "42501"


@pytest.mark.parametrize(
    ("role", "sql", "fragment"),
    [
        pytest.param("clerk", f"{VALUES} ON CONFLICT (id) DO NOTHING", "DO NOTHING", id="insert"),
        pytest.param(
            "bookkeeper",
            "UPDATE payments SET paid_at = current_date WHERE amount > 0 RETURNING amount",
            "SET paid_at = CURRENT_DATE",
            id="other-columns-updatable-amount-readable",
        ),
        pytest.param("keeper", UPSERT, "DO UPDATE SET amount = excluded.amount", id="upsert"),
        pytest.param(
            "keeper",
            "UPDATE payments p SET (amount, debtor_id) = (SELECT length(d.iin), d.id "
            "FROM debtors d WHERE d.id = p.debtor_id)",
            "OFFSET 0) AS d",
            id="multi-assign-reads-masking-subquery",
        ),
        pytest.param(
            "keeper",
            f"{UPSERT}, debtor_id = (SELECT d.id FROM debtors d WHERE d.iin = '1')",
            "OFFSET 0) AS d",
            id="upsert-sub-select-reads-masking-subquery",
        ),
    ],
)
def test_writer_plans(
    snapshot: Any, writers: PolicyEngine, role: str, sql: str, fragment: str
) -> None:
    assert fragment in writer_plan(snapshot, writers, role, sql).sql


def test_upsert_returning_is_decided_in_clear(snapshot: Any, writers: PolicyEngine) -> None:
    result = writer_plan(snapshot, writers, "keeper", f"{UPSERT} RETURNING id, amount")
    assert (result.masked_outputs, result.is_query) == ((False, False), False)


@pytest.mark.parametrize(
    ("who", "sql", "masked"),
    [
        pytest.param("collector", "SELECT JSON_OBJECT('k': iin) FROM debtors", (True,), id="obj"),
        pytest.param(
            "collector", "SELECT JSON_ARRAYAGG(full_name) FROM debtors", (True,), id="agg"
        ),
        pytest.param(
            "collector",
            "SELECT JSON_OBJECT('id': id, 'debt' VALUE debt_amount) FROM debtors",
            (False,),
            id="clear-columns",
        ),
        pytest.param("dpo", "SELECT JSON_ARRAY(iin, phone) FROM debtors", (False,), id="dpo"),
    ],
)
def test_json_constructors(snapshot: Any, who: str, sql: str, masked: tuple[bool, ...]) -> None:
    result = plan(snapshot, who, sql)
    assert result.masked_outputs == masked
    if who == "collector":
        assert "OFFSET 0) AS debtors" in result.sql


@pytest.mark.parametrize(
    ("who", "sql", "fragment"),
    [
        pytest.param(
            "collector",
            "SELECT count(*) FROM payments TABLESAMPLE BERNOULLI (50) REPEATABLE (1)",
            "FROM payments TABLESAMPLE bernoulli(50) REPEATABLE (1)",
            id="clear-table",
        ),
        pytest.param(
            "dpo",
            "SELECT iin FROM debtors TABLESAMPLE SYSTEM (10)",
            "FROM debtors TABLESAMPLE system(10)",
            id="dpo-sees-debtors-in-clear",
        ),
    ],
)
def test_tablesample_allowed(snapshot: Any, who: str, sql: str, fragment: str) -> None:
    assert fragment in plan(snapshot, who, sql).sql


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT id FROM debtors TABLESAMPLE SYSTEM (100)", id="clear-columns-only"),
        pytest.param("SELECT iin FROM debtors d TABLESAMPLE BERNOULLI (100)", id="masked-column"),
        pytest.param(
            "SELECT p.amount FROM payments p WHERE p.debtor_id IN (SELECT id FROM debtors "
            "TABLESAMPLE BERNOULLI (100) WHERE region <> 'Алматы')",
            id="row-filter-in-sub-select",
        ),
        pytest.param(
            "SELECT d.id FROM debtors d, debtors s TABLESAMPLE SYSTEM (100) WHERE s.id = d.id",
            id="same-table-twice",
        ),
    ],
)
def test_tablesample_on_a_protected_table_is_refused(snapshot: Any, sql: str) -> None:
    with pytest.raises(ProxyError) as caught:
        plan(snapshot, "collector", sql)
    assert "TABLESAMPLE is not allowed on public.debtors" in caught.value.message
    assert caught.value.sqlstate == "42501"
