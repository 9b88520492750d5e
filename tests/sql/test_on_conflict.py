"""INSERT ... ON CONFLICT and multiple-column SET: what they read, write and decide.

DO UPDATE is an update of the target (`payments:update` in the summary) on top of the insert;
`excluded` reads as the target's columns; the conflict target is an implicit use. `SET (a, b) =`
copies each value of a ROW(...) or a sub-select into its column.
"""

from __future__ import annotations

import pytest

from proxy.sql import Action, CatalogSnapshot, analyze_sql
from tests.sql.support import outcome

VALUES = "INSERT INTO payments VALUES (1, 1, current_date, 1)"

CASES = [
    ("do_update_from_excluded",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount",
     "insert rel=payments,payments:update expr=payments[amount] impl=payments[id] "
     "wr=payments[*]"),
    ("do_update_reads_target_and_where",
     "INSERT INTO payments AS p (id, debtor_id, paid_at, amount) VALUES ($1, $2, $3, $4) "
     "ON CONFLICT (id) DO UPDATE SET amount = p.amount + EXCLUDED.amount "
     "WHERE p.paid_at < EXCLUDED.paid_at RETURNING p.id",
     "insert rel=payments,payments:update proj=payments[id] expr=payments[amount] "
     "impl=payments[id,paid_at] wr=payments[*]"),
    ("on_constraint",
     f"{VALUES} ON CONFLICT ON CONSTRAINT payments_pkey DO UPDATE SET paid_at = current_date",
     "insert rel=payments,payments:update wr=payments[*]"),
    ("on_constraint_do_nothing",
     f"{VALUES} ON CONFLICT ON CONSTRAINT payments_pkey DO NOTHING",
     "insert rel=payments wr=payments[*]"),
    ("do_nothing_arbiter_is_implicit",
     f"{VALUES} ON CONFLICT (id, debtor_id) DO NOTHING",
     "insert rel=payments impl=payments[debtor_id,id] wr=payments[*]"),
    ("partial_index_arbiter",
     f"{VALUES} ON CONFLICT (debtor_id) WHERE amount > 0 DO NOTHING",
     "insert rel=payments impl=payments[amount,debtor_id] wr=payments[*]"),
    ("multi_assign_in_do_update",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET (amount, paid_at) = (EXCLUDED.amount, "
     "payments.paid_at)",
     "insert rel=payments,payments:update expr=payments[amount,paid_at] impl=payments[id] "
     "wr=payments[*]"),
    ("sub_select_of_other_table",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = (SELECT d.debt_amount FROM debtors d "
     "WHERE d.id = EXCLUDED.debtor_id)",
     "insert rel=payments,payments:update,debtors expr=debtors[debt_amount] "
     "impl=debtors[id]+payments[debtor_id,id] wr=payments[*]"),
    ("returning_masked_column_is_an_output",
     "INSERT INTO debtors (id, region) VALUES (1, 'A') ON CONFLICT (id) DO UPDATE "
     "SET region = EXCLUDED.region RETURNING iin",
     "insert rel=debtors,debtors:update proj=debtors[iin] expr=debtors[region] "
     "impl=debtors[id] wr=debtors[id,region]"),
    ("whole_row_of_excluded",
     "INSERT INTO debtors (id) VALUES (1) ON CONFLICT (id) DO UPDATE "
     "SET notes = row_to_json(excluded)::text",
     "insert rel=debtors,debtors:update expr=debtors[*] impl=debtors[id] wr=debtors[id,notes] "
     "fn=row_to_json row=debtors"),
    ("cte_visible_in_do_update",
     f"WITH x AS (SELECT 5 AS v) {VALUES} ON CONFLICT (id) DO UPDATE "
     "SET amount = (SELECT v FROM x)",
     "insert rel=payments,payments:update impl=payments[id] wr=payments[*]"),
    ("unqualified_name_is_ambiguous",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = amount",
     'DENY 42702 column reference "amount" is ambiguous'),
    ("excluded_not_in_returning",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = 1 RETURNING excluded.amount",
     'DENY 42P01 missing FROM-clause entry for table "excluded"'),
    ("excluded_not_in_arbiter",
     f"{VALUES} ON CONFLICT (id) WHERE excluded.amount > 0 DO NOTHING",
     'DENY 42P01 missing FROM-clause entry for table "excluded"'),
    ("unknown_arbiter_column",
     f"{VALUES} ON CONFLICT (nosuch) DO NOTHING",
     "DENY 42703 column payments.nosuch does not exist"),
    ("unknown_set_column",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET nosuch = 1",
     "DENY 42703 column payments.nosuch does not exist"),
    ("arbiter_collation",
     f'{VALUES} ON CONFLICT (id COLLATE "C") DO NOTHING',
     "DENY 42501 collations and operator classes in an ON CONFLICT target are not supported"),
    ("user_function_in_set",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = util.mask_name(EXCLUDED.amount)",
     "DENY 42501 function util.mask_name is not allowed: only pg_catalog functions are"),
    ("denied_function_in_where",
     f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = 1 "
     "WHERE pg_catalog.current_setting('x') = ''",
     "DENY 42501 function pg_catalog.current_setting is not allowed: it reads or changes "
     "session state"),
    ("update_row_values",
     "UPDATE debtors SET (region, notes) = ROW('a', iin) WHERE id = 1",
     "update rel=debtors expr=debtors[iin] impl=debtors[id] wr=debtors[notes,region]"),
    ("update_row_sub_select",
     "UPDATE payments p SET (amount, paid_at) = (SELECT d.debt_amount, d.birth_date "
     "FROM debtors d WHERE d.id = p.debtor_id)",
     "update rel=payments,debtors expr=debtors[birth_date,debt_amount] "
     "impl=debtors[id]+payments[debtor_id] wr=payments[amount,paid_at]"),
    ("update_two_groups_and_single",
     "UPDATE payments SET (amount, paid_at) = (amount + 1, current_date), id = 3, "
     "(debtor_id) = ROW(debtor_id)",
     "update rel=payments expr=payments[amount,debtor_id] wr=payments[*]"),
    ("update_sub_select_reads_denied_table",
     "UPDATE payments SET (amount, debtor_id) = (SELECT salary, id FROM employees LIMIT 1)",
     "update rel=payments,employees expr=employees[id,salary] wr=payments[amount,debtor_id]"),
    ("update_sub_select_too_many_columns",
     "UPDATE payments SET (amount, paid_at) = (SELECT 1, current_date, 3)",
     "DENY 42501 SET (a, b) = ... must assign exactly one value to each column"),
    ("update_source_not_row_or_select",
     "UPDATE payments SET (amount) = (1)",
     "DENY 42501 the source of SET (a, b) = ... must be a sub-select or a ROW(...) expression"),
    ("update_array_sub_select_source",
     "UPDATE payments SET (amount, paid_at) = ARRAY(SELECT 1)",
     "DENY 42501 the source of SET (a, b) = ... must be a sub-select or a ROW(...) expression"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolution(sql: str, expected: str, catalog: CatalogSnapshot) -> None:
    assert outcome(sql, catalog) == expected


@pytest.mark.parametrize(
    ("clause", "actions"),
    [
        pytest.param("DO NOTHING", [Action.INSERT], id="do-nothing-inserts-only"),
        pytest.param(
            "DO UPDATE SET amount = 1", [Action.INSERT, Action.UPDATE], id="do-update-both"
        ),
    ],
)
def test_target_actions(clause: str, actions: list[Action], catalog: CatalogSnapshot) -> None:
    ((_, analysis),) = analyze_sql(f"{VALUES} ON CONFLICT (id) {clause}", catalog)
    assert [(r.name, r.action) for r in analysis.relations] == [("payments", a) for a in actions]
    assert analysis.base_refs == ()  # the written table is never replaced by a subquery


def test_returning_after_do_update_is_the_target_row(catalog: CatalogSnapshot) -> None:
    sql = f"{VALUES} ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount RETURNING amount"
    ((_, analysis),) = analyze_sql(sql, catalog)
    (out,) = analysis.outputs
    assert [str(c) for c in out.as_is] == ["public.payments.amount"]
