"""TABLESAMPLE: the sampled table is an ordinary reference; a replaced one is never sampled."""

from __future__ import annotations

import pytest
from pglast.stream import RawStream

from proxy.sql import CatalogSnapshot, StatementDenied, analyze_sql, rewrite
from tests.sql.support import outcome

CASES = [
    ("system_repeatable", "SELECT id FROM debtors TABLESAMPLE SYSTEM (10) REPEATABLE (1)",
     "select rel=debtors proj=debtors[id]"),
    ("bernoulli_aliased_in_join", "SELECT d.id, p.amount FROM debtors AS d TABLESAMPLE "
     "BERNOULLI (5) JOIN payments p ON p.debtor_id = d.id",
     "select rel=debtors,payments proj=debtors[id]+payments[amount] "
     "impl=debtors[id]+payments[debtor_id]"),
    ("qualified_method", "SELECT amount FROM payments TABLESAMPLE pg_catalog.system ($1)",
     "select rel=payments proj=payments[amount]"),
    ("in_sub_select", "SELECT id FROM payments WHERE debtor_id IN (SELECT id FROM debtors "
     "TABLESAMPLE BERNOULLI (1))", "select rel=payments,debtors proj=payments[id] "
     "impl=debtors[id]+payments[debtor_id]"),
    ("sub_select_in_argument_is_read", "SELECT id FROM payments TABLESAMPLE SYSTEM "
     "((SELECT max(salary) FROM employees))",
     "select rel=payments,employees proj=payments[id] impl=employees[salary] fn=max"),
    ("extension_method", "SELECT id FROM debtors TABLESAMPLE system_rows (10)",
     "DENY 42501 TABLESAMPLE method system_rows is not allowed: only SYSTEM and BERNOULLI are"),
    ("user_schema_method", "SELECT id FROM debtors TABLESAMPLE util.system (10)",
     "DENY 42501 TABLESAMPLE method util.system is not allowed: not built in"),
    ("cte", "WITH x AS (SELECT 1 AS id) SELECT id FROM x TABLESAMPLE SYSTEM (10)",
     "DENY 42501 TABLESAMPLE applies to tables, not to a WITH query"),
    ("unknown_table", "SELECT 1 FROM nosuch TABLESAMPLE SYSTEM (10)",
     'DENY 42P01 relation "nosuch" does not exist'),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolution(sql: str, expected: str, catalog: CatalogSnapshot) -> None:
    assert outcome(sql, catalog) == expected


def test_sampled_table_is_a_base_reference(catalog: CatalogSnapshot) -> None:
    sql = "SELECT id FROM debtors d TABLESAMPLE SYSTEM (10)"
    ((_, analysis),) = analyze_sql(sql, catalog)
    assert [(r.table, r.alias, r.location) for r in analysis.base_refs] == [
        ("debtors", "d", sql.index("debtors"))
    ]


MASK = "SELECT id FROM ONLY public.debtors OFFSET 0"


def _rewritten(sql: str, catalog: CatalogSnapshot) -> str:
    ((parsed, analysis),) = analyze_sql(sql, catalog)
    return rewrite(parsed.stmt, analysis, {("public", "debtors"): lambda alias: MASK})


def test_sample_of_a_table_in_clear_is_kept(catalog: CatalogSnapshot) -> None:
    sql = "SELECT p.id FROM payments p TABLESAMPLE BERNOULLI (50) REPEATABLE (7)"
    assert _rewritten(sql, catalog) == (
        "SELECT p.id FROM payments AS p TABLESAMPLE bernoulli(50) REPEATABLE (7)"
    )


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT id FROM debtors TABLESAMPLE SYSTEM (10)", id="top-level"),
        pytest.param(
            "SELECT p.id FROM payments p JOIN debtors d TABLESAMPLE BERNOULLI (10) "
            "ON d.id = p.debtor_id",
            id="join-side",
        ),
        pytest.param(
            "SELECT (SELECT count(*) FROM debtors TABLESAMPLE SYSTEM (1)) FROM payments",
            id="scalar-sub-select",
        ),
        pytest.param(
            "WITH s AS (SELECT iin FROM debtors TABLESAMPLE SYSTEM (1)) SELECT * FROM s",
            id="cte-body",
        ),
    ],
)
def test_sample_of_a_replaced_table_is_refused(sql: str, catalog: CatalogSnapshot) -> None:
    with pytest.raises(StatementDenied, match=r"TABLESAMPLE is not allowed on public\.debtors"):
        _rewritten(sql, catalog)


def test_refusal_leaves_the_tree_as_analysed(catalog: CatalogSnapshot) -> None:
    sql = "SELECT d.id FROM debtors d, debtors s TABLESAMPLE SYSTEM (1) WHERE s.id = d.id"
    ((parsed, analysis),) = analyze_sql(sql, catalog)
    before = RawStream()(parsed.stmt)
    with pytest.raises(StatementDenied):
        rewrite(parsed.stmt, analysis, {("public", "debtors"): lambda alias: MASK})
    assert RawStream()(parsed.stmt) == before
