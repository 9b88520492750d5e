"""Scope-aware resolution: CTE scoping, LATERAL, joins, whole rows, name precedence, allowlists.

One row per SQL shape: the id, the statement, and the analysis summary (see `support.summary`) or
the refusal. Ordinary application SQL (joins, aggregates, windows, CTEs, pagination, parameters,
writes) must resolve; attack shapes must resolve to the columns they really touch or be refused.
"""

from __future__ import annotations

import pytest

from proxy.sql import CatalogSnapshot
from tests.sql.support import outcome

CASES = [
    (
        "cte_shadows_table_in_its_scope",
        "WITH debtors AS (SELECT 1 AS iin) SELECT iin FROM debtors",
        "select",
    ),
    (
        "cte_scope_ends_at_its_subquery",
        (
            "SELECT iin FROM debtors WHERE id IN (WITH debtors AS (SELECT 1 AS id) SELECT id FROM "
            "debtors)"
        ),
        "select rel=debtors proj=debtors[iin] impl=debtors[id]",
    ),
    (
        "cte_visible_in_sublink",
        "WITH debtors AS (SELECT 1 AS iin) SELECT (SELECT iin FROM debtors)",
        "select",
    ),
    (
        "cte_chain_renames",
        (
            "WITH a AS (SELECT iin AS x FROM debtors), b AS (SELECT x AS region FROM a) SELECT "
            "region FROM b"
        ),
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "cte_over_set_operation",
        (
            "WITH x AS (SELECT iin FROM debtors) SELECT iin FROM x UNION ALL SELECT full_name "
            "FROM employees"
        ),
        "select rel=debtors,employees proj=debtors[iin]+employees[full_name]",
    ),
    (
        "cte_column_aliases",
        "WITH x(a, b) AS (SELECT iin, region FROM debtors) SELECT b FROM x",
        "select rel=debtors proj=debtors[region] disc=debtors[iin]",
    ),
    (
        "cte_unused_column_discarded",
        "WITH x AS (SELECT id, notes FROM debtors) SELECT id FROM x",
        "select rel=debtors proj=debtors[id] disc=debtors[notes]",
    ),
    (
        "recursive_cte_sublink",
        (
            "WITH RECURSIVE r(n, v) AS (SELECT 1, ''::text UNION ALL SELECT n + 1, (SELECT "
            "full_name FROM debtors WHERE id = n) FROM r WHERE n < 3) SELECT v FROM r"
        ),
        "select rel=debtors proj=debtors[full_name] impl=debtors[id]",
    ),
    (
        "recursive_cte_fixpoint_swaps",
        (
            "WITH RECURSIVE r(a, b) AS (SELECT iin, region FROM debtors UNION ALL SELECT b, a "
            "FROM r WHERE false) SELECT b FROM r"
        ),
        "select rel=debtors proj=debtors[iin,region]",
    ),
    (
        "recursive_cte_shadows_table",
        (
            "WITH RECURSIVE debtors(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM debtors WHERE n < "
            "3) SELECT n FROM debtors"
        ),
        "select",
    ),
    (
        "lateral_subquery",
        "SELECT x.v FROM debtors d, LATERAL (SELECT d.iin AS v) x",
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "lateral_in_join",
        "SELECT x.v FROM debtors d JOIN LATERAL (SELECT d.phone AS v) x ON true",
        "select rel=debtors proj=debtors[phone]",
    ),
    (
        "plain_subquery_cannot_see_sibling",
        "SELECT * FROM debtors d, (SELECT d.iin) x",
        'DENY 42P01 missing FROM-clause entry for table "d"',
    ),
    (
        "correlated_subquery",
        "SELECT (SELECT e.full_name FROM employees e WHERE e.id = d.id) FROM debtors d",
        "select rel=debtors,employees proj=employees[full_name] impl=debtors[id]+employees[id]",
    ),
    (
        "correlated_exists",
        (
            "SELECT id FROM debtors d WHERE EXISTS (SELECT 1 FROM payments p WHERE p.debtor_id = "
            "d.id AND p.amount > 100)"
        ),
        "select rel=debtors,payments proj=debtors[id] impl=debtors[id]+payments[amount,debtor_id]",
    ),
    (
        "join_using_merges",
        "SELECT id FROM debtors JOIN payments USING (id)",
        "select rel=debtors,payments proj=debtors[id]+payments[id] impl=debtors[id]+payments[id]",
    ),
    (
        "join_unqualified_ambiguous",
        "SELECT id FROM debtors, payments",
        'DENY 42702 column reference "id" is ambiguous',
    ),
    (
        "natural_join",
        "SELECT * FROM debtors NATURAL JOIN employees",
        (
            "select rel=debtors,employees proj=debtors[*]+employees[*] "
            "impl=debtors[full_name,id,iin,phone]+employees[full_name,id,iin,phone]"
        ),
    ),
    (
        "join_alias_exposes_columns",
        "SELECT j.iin FROM (debtors JOIN payments ON payments.debtor_id = debtors.id) AS j",
        "select rel=debtors,payments proj=debtors[iin] impl=debtors[id]+payments[debtor_id]",
    ),
    (
        "join_alias_hides_tables",
        "SELECT debtors.iin FROM (debtors JOIN payments ON true) AS j",
        'DENY 42P01 missing FROM-clause entry for table "debtors"',
    ),
    (
        "left_join_on",
        (
            "SELECT d.id, p.amount FROM debtors d LEFT JOIN payments p ON p.debtor_id = d.id AND "
            "p.paid_at > '2024-01-01'"
        ),
        (
            "select rel=debtors,payments proj=debtors[id]+payments[amount] "
            "impl=debtors[id]+payments[debtor_id,paid_at]"
        ),
    ),
    (
        "whole_row_relation_name",
        "SELECT debtors FROM debtors",
        "select rel=debtors expr=debtors[*] row=debtors",
    ),
    (
        "whole_row_cast",
        "SELECT d::text FROM debtors d",
        "select rel=debtors expr=debtors[*] row=debtors",
    ),
    (
        "field_of_whole_row",
        "SELECT (d).iin FROM debtors d",
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "star_of_whole_row",
        "SELECT (d).* FROM debtors d",
        "select rel=debtors proj=debtors[*]",
    ),
    (
        "qualified_star",
        "SELECT d.* FROM debtors d",
        "select rel=debtors proj=debtors[*]",
    ),
    (
        "whole_row_in_json",
        "SELECT json_build_object('x', d) FROM debtors d",
        "select rel=debtors expr=debtors[*] fn=json_build_object row=debtors",
    ),
    (
        "whole_row_in_row",
        "SELECT ROW(d.*) FROM debtors d",
        "select rel=debtors expr=debtors[*] row=debtors",
    ),
    (
        "whole_row_in_count",
        "SELECT count(d.*) FROM debtors d",
        "select rel=debtors expr=debtors[*] fn=count row=debtors",
    ),
    (
        "whole_row_of_derived_table",
        "SELECT s FROM (SELECT iin FROM debtors) s",
        "select rel=debtors expr=debtors[iin]",
    ),
    (
        "whole_row_from_outer_level",
        "SELECT (SELECT d FROM payments LIMIT 1) FROM debtors d",
        "select rel=debtors,payments expr=debtors[*] row=debtors",
    ),
    (
        "column_beats_relation_name",
        "SELECT region FROM debtors region",
        "select rel=debtors proj=debtors[region]",
    ),
    (
        "order_by_output_alias",
        "SELECT iin AS x FROM debtors ORDER BY x",
        "select rel=debtors proj=debtors[iin] impl=debtors[iin]",
    ),
    (
        "order_by_position",
        "SELECT id, full_name FROM debtors ORDER BY 2",
        "select rel=debtors proj=debtors[full_name,id] impl=debtors[full_name]",
    ),
    (
        "group_by_position",
        "SELECT region, count(*) FROM debtors GROUP BY 1",
        "select rel=debtors proj=debtors[region] impl=debtors[region] fn=count",
    ),
    (
        "group_by_rollup",
        "SELECT region, count(*) FROM debtors GROUP BY ROLLUP (region, birth_date)",
        "select rel=debtors proj=debtors[region] impl=debtors[birth_date,region] fn=count",
    ),
    (
        "distinct_compares_values",
        "SELECT DISTINCT notes FROM debtors",
        "select rel=debtors proj=debtors[notes] impl=debtors[notes]",
    ),
    (
        "named_window",
        "SELECT sum(debt_amount) OVER w FROM debtors WINDOW w AS (PARTITION BY region)",
        "select rel=debtors expr=debtors[debt_amount] impl=debtors[region] fn=sum",
    ),
    (
        "aggregate_filter",
        "SELECT count(*) FILTER (WHERE iin LIKE '8%') FROM debtors",
        "select rel=debtors impl=debtors[iin] fn=count",
    ),
    (
        "ordered_set_aggregate",
        (
            "SELECT mode() WITHIN GROUP (ORDER BY full_name), percentile_disc(0.5) WITHIN GROUP "
            "(ORDER BY birth_date) FROM debtors"
        ),
        "select rel=debtors expr=debtors[birth_date,full_name] fn=mode,percentile_disc",
    ),
    (
        "string_agg_order",
        "SELECT string_agg(region, ',' ORDER BY iin) FROM debtors",
        "select rel=debtors expr=debtors[region] impl=debtors[iin] fn=string_agg",
    ),
    (
        "having_clause",
        "SELECT count(*) FROM debtors GROUP BY iin HAVING count(*) > 1",
        "select rel=debtors impl=debtors[iin] fn=count",
    ),
    (
        "intersect_membership",
        "SELECT iin FROM debtors INTERSECT SELECT iin FROM employees",
        (
            "select rel=debtors,employees proj=debtors[iin]+employees[iin] "
            "impl=debtors[iin]+employees[iin]"
        ),
    ),
    (
        "except_membership",
        "SELECT iin FROM employees EXCEPT SELECT iin FROM debtors",
        (
            "select rel=employees,debtors proj=debtors[iin]+employees[iin] "
            "impl=debtors[iin]+employees[iin]"
        ),
    ),
    (
        "union_all_order_by_name",
        "SELECT region AS r FROM debtors UNION ALL SELECT full_name FROM employees ORDER BY r",
        (
            "select rel=debtors,employees proj=debtors[region]+employees[full_name] "
            "impl=debtors[region]+employees[full_name]"
        ),
    ),
    (
        "database_qualified_current",
        "SELECT iin FROM palata.public.debtors",
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "database_qualified_other",
        "SELECT * FROM postgres.public.debtors",
        "DENY 42501 cross-database references are not allowed: postgres",
    ),
    (
        "schema_qualified_other_schema",
        "SELECT iin FROM archive.debtors",
        "select rel=archive.debtors proj=debtors[iin]",
    ),
    (
        "three_part_column",
        "SELECT public.debtors.iin FROM public.debtors",
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "four_part_column",
        "SELECT palata.public.debtors.iin FROM debtors",
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "unknown_relation",
        "SELECT * FROM nosuch",
        'DENY 42P01 relation "nosuch" does not exist',
    ),
    (
        "unknown_column",
        "SELECT nosuch FROM debtors",
        'DENY 42703 column "nosuch" does not exist',
    ),
    (
        "quoted_case_column",
        'SELECT "IIN" FROM debtors',
        'DENY 42703 column "IIN" does not exist',
    ),
    (
        "unicode_escaped_identifier",
        'SELECT U&"\\0069in" FROM debtors',
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "only_table",
        "SELECT iin FROM ONLY debtors",
        "select rel=debtors proj=debtors[iin]",
    ),
    (
        "system_view",
        "SELECT * FROM pg_catalog.pg_stats",
        "select rel=pg_catalog.pg_stats proj=pg_stats[*]",
    ),
    (
        "system_view_unqualified",
        "SELECT query FROM pg_stat_activity",
        "select rel=pg_catalog.pg_stat_activity proj=pg_stat_activity[query]",
    ),
    (
        "temp_schema",
        "SELECT * FROM pg_temp.t",
        "DENY 42501 temporary relations are not allowed",
    ),
    (
        "user_function_qualified",
        "SELECT util.mask_name(full_name) FROM debtors",
        "DENY 42501 function util.mask_name is not allowed: only pg_catalog functions are",
    ),
    (
        "function_shadowed_by_user",
        "SELECT length(full_name) FROM debtors",
        (
            "DENY 42501 function length is not allowed: a function of that name exists in schema "
            "public, which could be resolved instead of pg_catalog's"
        ),
    ),
    (
        "function_qualified_pg_catalog",
        "SELECT pg_catalog.lower(full_name) FROM debtors",
        "select rel=debtors expr=debtors[full_name] fn=lower",
    ),
    (
        "function_not_allowlisted",
        "SELECT hstore(d) FROM debtors d",
        "DENY 42501 function hstore is not allowed: it is not on the function allowlist",
    ),
    (
        "function_to_date_allowed",
        "SELECT to_date(full_name, 'YYYY') FROM debtors",
        "select rel=debtors expr=debtors[full_name] fn=to_date",
    ),
    (
        "user_operator",
        "SELECT 1 FROM debtors WHERE iin === '1'",
        "DENY 42501 operator === is not allowed: a user-defined one exists",
    ),
    (
        "user_operator_qualified",
        "SELECT 1 FROM debtors WHERE iin OPERATOR(util.===) '1'",
        "DENY 42501 operator util.=== is not allowed: not in pg_catalog",
    ),
    (
        "pg_catalog_operator_qualified",
        "SELECT 1 FROM debtors WHERE iin OPERATOR(pg_catalog.=) '1'",
        "select rel=debtors impl=debtors[iin]",
    ),
    (
        "cast_to_user_type_qualified",
        "SELECT iin::util.secret FROM debtors",
        "DENY 42501 type util.secret is not allowed: not a built-in type",
    ),
    (
        "cast_to_user_type",
        "SELECT iin::secret FROM debtors",
        "DENY 42501 type secret is not allowed: a user-defined one exists",
    ),
    (
        "xmlforest_allowed",
        "SELECT xmlforest(iin, full_name) FROM debtors",
        "select rel=debtors expr=debtors[full_name,iin]",
    ),
    (
        "xmlparse_denied",
        "SELECT xmlparse(document notes) FROM debtors",
        "DENY 42501 the XML construct IS_XMLPARSE is not allowed",
    ),
    (
        "xmltable_denied",
        "SELECT * FROM XMLTABLE('/a' PASSING CAST('<a/>' AS xml) COLUMNS x text)",
        "DENY 42501 the FROM item RangeTableFunc is not supported",
    ),
    (
        "json_table_denied",
        "SELECT * FROM JSON_TABLE('{}'::jsonb, '$' COLUMNS (a int PATH '$.a'))",
        "DENY 42501 the FROM item JsonTable is not supported",
    ),
    (
        "tablesample_extension_method_denied",
        "SELECT id FROM debtors TABLESAMPLE system_rows (10)",
        "DENY 42501 TABLESAMPLE method system_rows is not allowed: only SYSTEM and BERNOULLI are",
    ),
    (
        "set_returning_function",
        "SELECT g FROM generate_series(1, 3) g",
        "select fn=generate_series",
    ),
    (
        "json_each_of_whole_row",
        "SELECT key, value FROM debtors d, jsonb_each(to_jsonb(d))",
        "select rel=debtors expr=debtors[*] fn=jsonb_each,to_jsonb row=debtors",
    ),
    (
        "unnest_with_ordinality",
        "SELECT u, n FROM debtors d, unnest(ARRAY[d.phone]) WITH ORDINALITY AS t(u, n)",
        "select rel=debtors expr=debtors[phone] fn=unnest",
    ),
    (
        "values_list",
        "VALUES (1, 'a'), (2, 'b')",
        "select",
    ),
    (
        "values_in_from",
        "SELECT x FROM (VALUES (1), (2)) v(x)",
        "select",
    ),
    (
        "parameter_array",
        "SELECT id FROM debtors WHERE id = ANY($1::int[])",
        "select rel=debtors proj=debtors[id] impl=debtors[id]",
    ),
    (
        "pagination_parameters",
        "SELECT id, debt_amount FROM debtors ORDER BY id LIMIT $1 OFFSET $2",
        "select rel=debtors proj=debtors[debt_amount,id] impl=debtors[id]",
    ),
    (
        "case_in_order_by",
        "SELECT id FROM debtors ORDER BY CASE WHEN region = 'A' THEN 0 ELSE 1 END, id",
        "select rel=debtors proj=debtors[id] impl=debtors[id,region]",
    ),
    (
        "coalesce_and_nullif",
        "SELECT coalesce(phone, email), nullif(region, '') FROM debtors",
        "select rel=debtors expr=debtors[email,phone,region]",
    ),
    (
        "in_list_and_between",
        "SELECT id FROM debtors WHERE region IN ('A', 'B') AND debt_amount BETWEEN 1 AND 10",
        "select rel=debtors proj=debtors[id] impl=debtors[debt_amount,region]",
    ),
    (
        "date_arithmetic",
        "SELECT id, current_date - birth_date AS days, extract(year FROM birth_date) FROM debtors",
        "select rel=debtors proj=debtors[id] expr=debtors[birth_date] fn=extract",
    ),
    (
        "array_subquery",
        "SELECT ARRAY(SELECT full_name FROM debtors)",
        "select rel=debtors expr=debtors[full_name]",
    ),
    (
        "scalar_subquery_as_is",
        "SELECT (SELECT iin FROM debtors WHERE id = 201) AS region",
        "select rel=debtors proj=debtors[iin] impl=debtors[id]",
    ),
    (
        "any_subquery",
        "SELECT id FROM debtors WHERE id = ANY (SELECT debtor_id FROM payments)",
        "select rel=debtors,payments proj=debtors[id] impl=debtors[id]+payments[debtor_id]",
    ),
    (
        "insert_values_returning",
        (
            "INSERT INTO payments (id, debtor_id, paid_at, amount) VALUES ($1, $2, $3, $4) "
            "RETURNING id"
        ),
        "insert rel=payments proj=payments[id] wr=payments[*]",
    ),
    (
        "insert_select",
        (
            "INSERT INTO payments SELECT id, id, current_date, debt_amount FROM debtors WHERE "
            "region = 'A'"
        ),
        (
            "insert rel=payments,debtors expr=debtors[debt_amount,id] impl=debtors[region] "
            "wr=payments[*]"
        ),
    ),
    (
        "insert_on_conflict_nothing",
        (
            "INSERT INTO payments (id, debtor_id, paid_at, amount) VALUES (1, 1, current_date, 1) "
            "ON CONFLICT DO NOTHING"
        ),
        "insert rel=payments wr=payments[*]",
    ),
    (
        "insert_on_conflict_update",
        (
            "INSERT INTO payments (id, debtor_id, paid_at, amount) VALUES (1, 1, current_date, 1) "
            "ON CONFLICT (id) DO UPDATE SET amount = 2"
        ),
        "insert rel=payments,payments:update impl=payments[id] wr=payments[*]",
    ),
    (
        "insert_unknown_column",
        "INSERT INTO payments (nosuch) VALUES (1)",
        "DENY 42703 column payments.nosuch does not exist",
    ),
    (
        "update_from",
        (
            "UPDATE debtors SET debt_amount = debt_amount - p.amount FROM payments p WHERE "
            "p.debtor_id = debtors.id"
        ),
        (
            "update rel=debtors,payments expr=debtors[debt_amount]+payments[amount] "
            "impl=debtors[id]+payments[debtor_id] wr=debtors[debt_amount]"
        ),
    ),
    (
        "update_returning_old",
        "UPDATE debtors SET region = 'B' WHERE id = 1 RETURNING old.region, new.region",
        "update rel=debtors proj=debtors[region] impl=debtors[id] wr=debtors[region]",
    ),
    (
        "update_multi_assign",
        "UPDATE debtors SET (region, notes) = ('a', 'b') WHERE id = 1",
        "update rel=debtors impl=debtors[id] wr=debtors[notes,region]",
    ),
    (
        "delete_using",
        "DELETE FROM payments p USING debtors d WHERE d.id = p.debtor_id AND d.region = 'A'",
        "delete rel=payments,debtors impl=debtors[id,region]+payments[debtor_id]",
    ),
    (
        "cte_insert_denied",
        (
            "WITH x AS (INSERT INTO payments VALUES (1, 1, current_date, 1) RETURNING *) SELECT * "
            "FROM x"
        ),
        "DENY 42501 data-modifying CTE (INSERT in WITH) is not allowed",
    ),
    (
        "nested_for_share",
        "SELECT * FROM (SELECT * FROM debtors FOR SHARE) s",
        "DENY 42501 FOR UPDATE/SHARE is not allowed: it locks rows",
    ),
    (
        "where_current_of",
        "UPDATE debtors SET region = 'x' WHERE CURRENT OF c",
        "DENY 42501 the expression CurrentOfExpr is not supported",
    ),
    (
        "sublink_in_limit",
        "SELECT id FROM debtors LIMIT (SELECT count(*) FROM payments)",
        "select rel=debtors,payments proj=debtors[id] fn=count",
    ),
    (
        "sort_using_user_operator",
        "SELECT id FROM debtors ORDER BY iin USING OPERATOR(util.<)",
        "DENY 42501 operator util.< is not allowed: not in pg_catalog",
    ),
    (
        "aggregate_order_using_user_operator",
        "SELECT string_agg(region, ',' ORDER BY iin USING ===) FROM debtors",
        "DENY 42501 operator === is not allowed: a user-defined one exists",
    ),
    (
        "column_definition_list_user_type",
        "SELECT * FROM jsonb_to_record('{}') AS t(a util.secret)",
        "DENY 42501 type util.secret is not allowed: not a built-in type",
    ),
    (
        "column_definition_list",
        "SELECT t.a FROM debtors d, jsonb_to_record(to_jsonb(d)) AS t(a text, iin text)",
        "select rel=debtors expr=debtors[*] fn=jsonb_to_record,to_jsonb row=debtors",
    ),
    (
        "on_conflict_arbiter_where_is_read",
        "INSERT INTO payments VALUES (1, 1, current_date, 1) ON CONFLICT (id) "
        "WHERE (SELECT count(*) FROM debtors) > 0 DO NOTHING",
        "insert rel=payments,debtors impl=payments[id] wr=payments[*] fn=count",
    ),
    (
        "coverage_update_subscript",
        "UPDATE debtors SET region[(SELECT 1 FROM employees LIMIT 1)] = 'x'",
        "DENY 42501 SubLink in a clause the analyser does not read",
    ),
    (
        "coverage_insert_column_subscript",
        "INSERT INTO payments (id, debtor_id[(SELECT 1)]) VALUES (1, 1)",
        "DENY 42501 SubLink in a clause the analyser does not read",
    ),
    (
        "on_conflict_arbiter_expression_is_read",
        "INSERT INTO payments VALUES (1, 1, current_date, 1) ON CONFLICT (lower(id::text)) "
        "DO NOTHING",
        "insert rel=payments impl=payments[id] wr=payments[*] fn=lower",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolution(sql: str, expected: str, catalog: CatalogSnapshot) -> None:
    assert outcome(sql, catalog) == expected
