"""The rewrite primitive: protected references become sub-selects under the user's alias."""

from __future__ import annotations

import pytest
from pglast import ast
from pglast.stream import RawStream

from proxy.sql import CatalogSnapshot, Replacement, StatementDenied, analyze_sql, rewrite

MASK = "SELECT id, NULL::bpchar AS iin, region FROM ONLY public.debtors OFFSET 0"
M = "(SELECT id, CAST(NULL AS bpchar) AS iin, region FROM ONLY public.debtors OFFSET 0)"


def _mask(alias: str) -> str:
    return MASK


def _rewritten(sql: str, catalog: CatalogSnapshot, replacement: Replacement = _mask) -> str:
    ((parsed, analysis),) = analyze_sql(sql, catalog)
    return rewrite(parsed.stmt, analysis, {("public", "debtors"): replacement})


CASES = [
    ("brief_example", "SELECT * FROM debtors d WHERE d.iin LIKE '88%'",
     f"SELECT * FROM {M} AS d WHERE d.iin LIKE '88%'"),
    ("unaliased_keeps_table_name", "TABLE debtors", f"SELECT * FROM {M} AS debtors"),
    ("schema_qualified", "SELECT iin FROM public.debtors", f"SELECT iin FROM {M} AS debtors"),
    ("alias_column_list_kept", "SELECT * FROM debtors AS d(a, b)",
     f"SELECT * FROM {M} AS d (a, b)"),
    ("cte_shadow_not_replaced", "WITH debtors AS (SELECT 1 AS iin) SELECT iin FROM debtors",
     "WITH debtors AS (SELECT 1 AS iin) SELECT iin FROM debtors"),
    ("cte_scope_confusion", "SELECT b.iin FROM (WITH debtors AS (SELECT 1 AS iin) "
     "SELECT * FROM debtors) a, debtors b",
     "SELECT b.iin FROM (WITH debtors AS (SELECT 1 AS iin) SELECT * FROM debtors) AS a, "
     f"{M} AS b"),
    ("other_tables_untouched", "SELECT d.id, p.amount FROM debtors d JOIN payments p "
     "ON p.debtor_id = d.id",
     f"SELECT d.id, p.amount FROM {M} AS d INNER JOIN payments AS p ON p.debtor_id = d.id"),
    ("lateral", "SELECT x.v FROM debtors d, LATERAL (SELECT d.iin AS v) x",
     f"SELECT x.v FROM {M} AS d, LATERAL (SELECT d.iin AS v) AS x"),
    ("set_operation", "SELECT region FROM debtors UNION SELECT iin FROM debtors",
     f"SELECT region FROM {M} AS debtors UNION SELECT iin FROM {M} AS debtors"),
    ("sublinks", "SELECT id FROM payments WHERE EXISTS (SELECT 1 FROM debtors d2 "
     "WHERE d2.id = payments.debtor_id)",
     f"SELECT id FROM payments WHERE EXISTS (SELECT 1 FROM {M} AS d2 "
     "WHERE d2.id = payments.debtor_id)"),
    ("recursive_cte_body", "WITH RECURSIVE r(n, s) AS (SELECT 1, (SELECT iin FROM debtors "
     "WHERE id = 7) UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT s FROM r",
     f"WITH RECURSIVE r(n, s) AS (SELECT 1, (SELECT iin FROM {M} AS debtors WHERE id = 7) "
     "UNION ALL SELECT n + 1, s FROM r WHERE n < 2) SELECT s FROM r"),
    ("dml_target_kept_source_replaced", "UPDATE debtors SET region = 'x' FROM debtors d2 "
     "WHERE d2.id = debtors.id",
     f"UPDATE debtors SET region = 'x' FROM {M} AS d2 WHERE d2.id = debtors.id"),
    ("delete_using", "DELETE FROM payments p USING debtors d WHERE d.id = p.debtor_id",
     f"DELETE FROM payments AS p USING {M} AS d WHERE d.id = p.debtor_id"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rewrite(sql: str, expected: str, catalog: CatalogSnapshot) -> None:
    assert _rewritten(sql, catalog) == expected


def test_replacement_receives_the_alias(catalog: CatalogSnapshot) -> None:
    seen: list[str] = []

    def replacement(alias: str) -> str:
        seen.append(alias)
        return MASK

    _rewritten("SELECT 1 FROM debtors d, debtors", catalog, replacement)
    assert seen == ["d", "debtors"]


def test_replacement_may_be_a_node(catalog: CatalogSnapshot) -> None:
    def replacement(alias: str) -> ast.RangeSubselect:
        query = ast.SelectStmt(targetList=(ast.ResTarget(name="id", val=ast.A_Const(isnull=True)),))
        return ast.RangeSubselect(lateral=False, subquery=query, alias=ast.Alias(aliasname=alias))

    assert _rewritten("SELECT id FROM debtors x", catalog, replacement) == (
        "SELECT id FROM (SELECT NULL AS id) AS x"
    )


def test_the_analysed_tree_is_not_modified(catalog: CatalogSnapshot) -> None:
    ((parsed, analysis),) = analyze_sql("SELECT iin FROM debtors", catalog)
    before = RawStream()(parsed.stmt)
    rewrite(parsed.stmt, analysis, {("public", "debtors"): _mask})
    assert RawStream()(parsed.stmt) == before


def test_replacement_must_be_one_select(catalog: CatalogSnapshot) -> None:
    with pytest.raises(StatementDenied):
        _rewritten("SELECT iin FROM debtors", catalog, lambda alias: "DELETE FROM debtors")
