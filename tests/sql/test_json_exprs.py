"""SQL/JSON syntax (PostgreSQL 16/17): every input flows into the value, RETURNING is a cast.

Analysis only: the local test server (PostgreSQL 15) does not know this syntax.
"""

from __future__ import annotations

import pytest

from proxy.sql import CatalogSnapshot, SourceColumn, analyze_sql
from tests.sql.support import outcome

CASES = [
    ("json_object", "SELECT JSON_OBJECT('k': iin, 'r' VALUE region RETURNING jsonb) FROM debtors",
     "select rel=debtors expr=debtors[iin,region]"),
    ("json_object_column_key", "SELECT JSON_OBJECT(full_name: id ABSENT ON NULL WITH UNIQUE KEYS) "
     "FROM debtors", "select rel=debtors expr=debtors[full_name,id]"),
    ("json_array", "SELECT JSON_ARRAY(iin, id NULL ON NULL) FROM debtors",
     "select rel=debtors expr=debtors[id,iin]"),
    ("json_array_format_json", "SELECT JSON_ARRAY(notes FORMAT JSON RETURNING text) FROM debtors",
     "select rel=debtors expr=debtors[notes]"),
    ("json_array_of_query", "SELECT JSON_ARRAY(SELECT iin FROM debtors WHERE region = 'A' "
     "ORDER BY id)", "select rel=debtors expr=debtors[iin] impl=debtors[id,region]"),
    ("json_objectagg", "SELECT JSON_OBJECTAGG(id: iin) FILTER (WHERE region = 'A') FROM debtors",
     "select rel=debtors expr=debtors[id,iin] impl=debtors[region]"),
    ("json_arrayagg_order", "SELECT JSON_ARRAYAGG(iin ORDER BY birth_date RETURNING jsonb) "
     "FROM debtors", "select rel=debtors expr=debtors[iin] impl=debtors[birth_date]"),
    ("json_arrayagg_window", "SELECT JSON_ARRAYAGG(id) OVER (PARTITION BY region) FROM debtors",
     "select rel=debtors expr=debtors[id] impl=debtors[region]"),
    ("is_json_predicate", "SELECT id FROM debtors WHERE notes IS JSON OBJECT WITH UNIQUE KEYS",
     "select rel=debtors proj=debtors[id] impl=debtors[notes]"),
    ("is_json_projected", "SELECT notes IS NOT JSON SCALAR FROM debtors",
     "select rel=debtors expr=debtors[notes]"),
    ("json_value_of_whole_row", "SELECT JSON_VALUE(to_jsonb(d), '$.iin') FROM debtors d",
     "select rel=debtors expr=debtors[*] fn=to_jsonb row=debtors"),
    ("json_query_passing_flows", "SELECT JSON_QUERY(jsonb '{}', '$x' PASSING iin AS x) "
     "FROM debtors", "select rel=debtors expr=debtors[iin]"),
    ("json_query_path_from_column", "SELECT JSON_QUERY(jsonb '{}', region) FROM debtors",
     "select rel=debtors expr=debtors[region]"),
    ("json_value_default_flows", "SELECT JSON_VALUE(jsonb '{}', '$.a' DEFAULT phone ON EMPTY) "
     "FROM debtors", "select rel=debtors expr=debtors[phone]"),
    ("json_exists_in_where", "SELECT id FROM debtors WHERE JSON_EXISTS(to_jsonb(notes), '$.a')",
     "select rel=debtors proj=debtors[id] impl=debtors[notes] fn=to_jsonb"),
    ("json_parse_scalar_serialize", "SELECT JSON(notes), JSON_SCALAR(iin), "
     "JSON_SERIALIZE(to_json(region) RETURNING bytea) FROM debtors",
     "select rel=debtors expr=debtors[iin,notes,region] fn=to_json"),
    ("user_type_in_returning", "SELECT JSON_VALUE(jsonb '{}', '$.a' RETURNING util.secret)",
     "DENY 42501 type util.secret is not allowed: not a built-in type"),
    ("shadowed_type_in_returning", "SELECT JSON_OBJECT('a': 1 RETURNING secret)",
     "DENY 42501 type secret is not allowed: a user-defined one exists"),
    ("user_function_inside", "SELECT JSON_ARRAY(util.mask_name(full_name)) FROM debtors",
     "DENY 42501 function util.mask_name is not allowed: only pg_catalog functions are"),
    ("denied_function_in_default",
     "SELECT JSON_VALUE(jsonb '{}', '$.a' DEFAULT pg_catalog.current_setting('x') ON EMPTY)",
     "DENY 42501 function pg_catalog.current_setting is not allowed: it reads or changes "
     "session state"),
    ("json_array_query_two_columns", "SELECT JSON_ARRAY(SELECT id, iin FROM debtors)",
     "DENY 42501 JSON_ARRAY(SELECT ...) must select exactly one column"),
    ("json_table_still_refused", "SELECT * FROM JSON_TABLE(jsonb '{}', '$' COLUMNS (a int "
     "PATH '$.a'))", "DENY 42501 the FROM item JsonTable is not supported"),
]  # fmt: skip


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolution(sql: str, expected: str, catalog: CatalogSnapshot) -> None:
    assert outcome(sql, catalog) == expected


IIN = SourceColumn("public", "debtors", "iin")


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        pytest.param("SELECT JSON_OBJECT('k': iin) FROM debtors", "json_object", id="object"),
        pytest.param("SELECT JSON_ARRAY(iin) FROM debtors", "json_array", id="array"),
        pytest.param("SELECT JSON_OBJECTAGG('k': iin) FROM debtors", "json_objectagg", id="oagg"),
        pytest.param("SELECT JSON_ARRAYAGG(iin) FROM debtors", "json_arrayagg", id="aagg"),
        pytest.param("SELECT JSON_SCALAR(iin) FROM debtors", "json_scalar", id="scalar"),
        pytest.param(
            "SELECT JSON_VALUE(jsonb '{}', '$x' PASSING iin AS x) FROM debtors",
            "json_value",
            id="value",
        ),
        pytest.param(
            "SELECT x.json_object FROM (SELECT JSON_OBJECT('k': iin) FROM debtors) x",
            "json_object",
            id="named-through-derived-table",
        ),
    ],
)
def test_masked_input_reaches_the_output(sql: str, name: str, catalog: CatalogSnapshot) -> None:
    ((_, analysis),) = analyze_sql(sql, catalog)
    (out,) = analysis.outputs
    assert (out.name, out.direct, out.as_is) == (name, {IIN}, frozenset())
