"""Output columns: names and order as PostgreSQL gives them, and per-column lineage."""

from __future__ import annotations

import pytest

from proxy.sql import CatalogSnapshot, OutputColumn, SourceColumn, analyze_sql


def _outputs(sql: str, catalog: CatalogSnapshot) -> tuple[OutputColumn, ...]:
    (_, analysis), *_ = analyze_sql(sql, catalog)
    return analysis.outputs


def _col(table: str, column: str) -> SourceColumn:
    return SourceColumn("public", table, column)


NAMES = [
    ("star_join_order", "SELECT * FROM payments p JOIN debtors d ON d.id = p.debtor_id",
     "id debtor_id paid_at amount id iin full_name phone email address birth_date debt_amount "
     "notes region"),
    ("using_merges_once", "SELECT * FROM payments JOIN employees USING (id)",
     "id debtor_id paid_at amount iin full_name salary phone"),
    ("figure_colname", "SELECT lower(full_name), iin::text, d.region, (d).phone, CASE WHEN true "
     "THEN 1 END, coalesce(email, ''), count(*), 1 FROM debtors d GROUP BY 1, 2, 3, 4, 6",
     "lower iin region phone case coalesce count ?column?"),
    ("aliases_win", "SELECT iin AS region FROM debtors", "region"),
    ("values_names", "VALUES (1, 2)", "column1 column2"),
    ("alias_column_list", "SELECT * FROM payments AS p(a, b)", "a b paid_at amount"),
    ("cte_column_list", "WITH x(a) AS (SELECT id, iin FROM debtors) SELECT * FROM x", "a iin"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "names"), [r[1:] for r in NAMES], ids=[r[0] for r in NAMES])
def test_output_names(sql: str, names: str, catalog: CatalogSnapshot) -> None:
    assert [out.name for out in _outputs(sql, catalog)] == names.split()


def test_alias_to_visible_name_keeps_source_lineage(catalog: CatalogSnapshot) -> None:
    (out,) = _outputs("SELECT iin AS region FROM debtors WHERE id = 7", catalog)
    assert out.as_is == out.direct == {_col("debtors", "iin")}
    assert out.implicit == {_col("debtors", "id")}


def test_case_condition_is_implicit_and_result_direct(catalog: CatalogSnapshot) -> None:
    (out,) = _outputs("SELECT CASE WHEN iin LIKE '8%' THEN region END FROM debtors", catalog)
    assert out.direct == {_col("debtors", "region")}
    assert out.as_is == frozenset()
    assert out.implicit == {_col("debtors", "iin")}


def test_free_text_projected_through_cte_stays_as_is(catalog: CatalogSnapshot) -> None:
    (out,) = _outputs("WITH n AS (SELECT notes AS x FROM debtors) SELECT x FROM n", catalog)
    assert out.as_is == {_col("debtors", "notes")}


def test_set_operation_unions_branches(catalog: CatalogSnapshot) -> None:
    (out,) = _outputs(
        "SELECT region FROM debtors UNION ALL SELECT full_name FROM employees", catalog
    )
    assert out.as_is == {_col("debtors", "region"), _col("employees", "full_name")}
    assert out.implicit == frozenset()


def test_lateral_function_column_derives_from_arguments(catalog: CatalogSnapshot) -> None:
    (out,) = _outputs("SELECT u FROM debtors d, LATERAL unnest(ARRAY[d.iin, d.phone]) u", catalog)
    assert out.direct == {_col("debtors", "iin"), _col("debtors", "phone")}
    assert out.as_is == frozenset()
