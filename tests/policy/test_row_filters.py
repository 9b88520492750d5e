"""Row filters: parsed at load, rendered with attribute values as literals, denied when the
principal lacks an attribute."""

from __future__ import annotations

from pathlib import Path

import pytest
from pglast import ast, parse_sql
from pglast.stream import RawStream

from proxy.errors import AccessDenied, ConfigError
from proxy.policy.literals import AttributeValue
from proxy.policy.row_filters import RowFilter, RowFilters

FILTERS = """
[clerk."public.debtors"]
filter = "region = principal('region')"

[clerk."public.loans"]
any = [
    "debtor_id IN (SELECT d.id FROM public.debtors AS d WHERE d.region = principal('region'))",
    "debtor_id = ANY(principal('cases'))",
]

[clerk."public.notes"]
filter = "author_id = principal('employee_id') AND region = principal('region')"
"""


@pytest.fixture(scope="module")
def filters(tmp_path_factory: pytest.TempPathFactory) -> RowFilters:
    path = tmp_path_factory.mktemp("filters") / "row_filters.toml"
    path.write_text(FILTERS, encoding="utf-8")
    return RowFilters.load(path)


def _filter(filters: RowFilters, table: str) -> RowFilter:
    found = filters.get("clerk", f"public.{table}")
    assert found is not None
    return found


# id, table, attributes, rendered SQL
RENDERED = [
    ("plain", "debtors", {"region": "Алматы"}, "region = 'Алматы'"),
    ("quote", "debtors", {"region": "O'Brien"}, "region = 'O''Brien'"),
    ("injection", "debtors", {"region": "'; DROP TABLE x; --"}, "region = '''; DROP TABLE x; --'"),
    ("dollar-quote", "debtors", {"region": "$$; DROP TABLE x; $$"},
     "region = '$$; DROP TABLE x; $$'"),
    ("string-that-looks-like-a-number", "debtors", {"region": "1 OR 1=1"},
     "region = '1 OR 1=1'"),
    ("integer", "notes", {"employee_id": 7, "region": "x"},
     "author_id = 7 AND region = 'x'"),
    ("big-integer", "notes", {"employee_id": 2**40, "region": "x"},
     "author_id = 1099511627776 AND region = 'x'"),
    ("negative-integer", "notes", {"employee_id": -3, "region": "x"},
     "author_id = -3 AND region = 'x'"),
    ("any-both-branches", "loans", {"region": "x", "cases": [1, 2]},
     "debtor_id IN (SELECT d.id FROM public.debtors AS d WHERE d.region = 'x') "
     "OR debtor_id = ANY(CAST('{1,2}' AS bigint[]))"),
    ("any-one-branch", "loans", {"cases": []}, "debtor_id = ANY(CAST('{}' AS bigint[]))"),
    ("any-other-branch", "loans", {"region": "x"},
     "debtor_id IN (SELECT d.id FROM public.debtors AS d WHERE d.region = 'x')"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "attributes", "sql"),
    [case[1:] for case in RENDERED],
    ids=[case[0] for case in RENDERED],
)
def test_render(
    filters: RowFilters, table: str, attributes: dict[str, AttributeValue], sql: str
) -> None:
    rendered = _filter(filters, table).render_sql(attributes)
    assert rendered == sql
    # the text is one expression whose only string constants are the attribute values
    (statement,) = parse_sql(f"SELECT 1 FROM t WHERE {rendered}")
    assert isinstance(statement.stmt, ast.SelectStmt)
    assert RawStream()(statement.stmt.whereClause or "") == rendered


def test_rendering_leaves_the_template_alone(filters: RowFilters) -> None:
    row_filter = _filter(filters, "debtors")
    row_filter.render({"region": "a"})
    assert row_filter.render_sql({"region": "b"}) == "region = 'b'"


# id, table, attributes, missing attribute named in the message
MISSING = [
    ("no-attributes", "debtors", {}, "region"),
    ("other-attribute", "debtors", {"employee_id": 1}, "region"),
    ("one-of-two", "notes", {"region": "x"}, "employee_id"),
    ("no-branch-left", "loans", {}, "cases, region"),
]


@pytest.mark.parametrize(
    ("table", "attributes", "missing"),
    [case[1:] for case in MISSING],
    ids=[case[0] for case in MISSING],
)
def test_missing_attribute_denies(
    filters: RowFilters, table: str, attributes: dict[str, AttributeValue], missing: str
) -> None:
    with pytest.raises(AccessDenied) as caught:
        _filter(filters, table).render(attributes)
    assert caught.value.sqlstate == "42501"
    assert f"needs the principal attribute(s) {missing}" in caught.value.message


@pytest.mark.parametrize(
    "value",
    ["nul\0byte", "back\\'slash", 1.5, ["a"], [True], {"a": 1}],
    ids=["nul-byte", "backslash", "float", "list-of-text", "list-of-bool", "table"],
)
def test_unusable_values_deny(filters: RowFilters, value: object) -> None:
    with pytest.raises(AccessDenied, match="'region' has a value a row filter cannot use"):
        _filter(filters, "debtors").render({"region": value})  # type: ignore[dict-item]


BAD = [
    ("not-sql", 'filter = "region = = 1"', "not a valid SQL expression"),
    ("two-statements", """filter = "true); DROP TABLE x; SELECT (1" """, "one boolean expression"),
    ("union", """filter = "region = 'x') UNION SELECT 1 FROM t WHERE (true" """,
     "one boolean expression"),
    ("order-by", """filter = "region = 'x') ORDER BY (1" """, "nothing after it"),
    ("constant", 'filter = "true"', "must test the table's columns"),
    ("bad-placeholder-arg", 'filter = "region = principal(region)"', "principal('<attribute"),
    ("placeholder-two-args", "filter = \"region = principal('a', 'b')\"", "principal('<attr"),
    ("placeholder-bad-name", "filter = \"region = principal('A b')\"", "principal('<attr"),
    ("qualified-placeholder", "filter = \"region = public.principal('a')\"", "principal('<a"),
    ("both-keys", "filter = \"a = 1\"\nany = [\"a = 2\"]", "exactly one of filter or any"),
    ("empty-any", "any = []", "non-empty strings"),
    ("empty-filter", 'filter = " "', "1 to 4000 characters"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_filters_name_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "row_filters.toml"
    path.write_text(f'[clerk."public.debtors"]\n{body}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        RowFilters.load(path)
    assert f"{path}: clerk.public.debtors" in caught.value.message
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[Clerk."public.debtors"]\nfilter = "a = 1"', "role 'Clerk'"),
        ('[clerk."debtors"]\nfilter = "a = 1"', "clerk.debtors"),
        ('clerk = "x"', "clerk must be a table"),
    ],
    ids=["bad-role", "bad-table", "not-a-table"],
)
def test_bad_structure(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "row_filters.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"row_filters\.toml") as caught:
        RowFilters.load(path)
    assert message in caught.value.message
