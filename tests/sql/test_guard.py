"""The parser guard: bounded length and depth, PostgreSQL's own syntax errors, never a crash."""

from __future__ import annotations

import pytest

from proxy.sql import (
    SqlLimits,
    SqlRejected,
    SqlSyntaxError,
    StatementTooComplex,
    StatementTooLong,
    parse_statements,
)

HUGE_SUM = "SELECT " + " + ".join(["1"] * 25_000)  # pglast.parse_sql segfaults on this

REFUSED = [
    ("too_long", "SELECT 1 -- " + "x" * 200, SqlLimits(max_length=100), StatementTooLong, "54000"),
    ("too_deep", "SELECT " + "+".join(["1"] * 150), SqlLimits(), StatementTooComplex, "54001"),
    ("too_many_nodes", "SELECT " + ",".join(["1"] * 300), SqlLimits(max_nodes=200),
     StatementTooComplex, "54001"),
    ("parser_stack_depth", HUGE_SUM, SqlLimits(max_length=10**6), StatementTooComplex, "54001"),
    ("huge_by_length", HUGE_SUM, SqlLimits(), StatementTooLong, "54000"),
    ("syntax_error", "SELEC 1", SqlLimits(), SqlSyntaxError, "42601"),
    ("unterminated_string", "SELECT 'abc", SqlLimits(), SqlSyntaxError, "42601"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "limits", "error", "sqlstate"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused(sql: str, limits: SqlLimits, error: type[SqlRejected], sqlstate: str) -> None:
    with pytest.raises(error) as caught:
        parse_statements(sql, limits)
    assert caught.value.sqlstate == sqlstate


def test_syntax_error_carries_postgresql_message() -> None:
    with pytest.raises(SqlSyntaxError, match='syntax error at or near "SELEC"'):
        parse_statements("SELEC 1", SqlLimits())


def test_every_statement_is_returned_with_its_text() -> None:
    parsed = parse_statements("BEGIN; SELECT 'жж' AS x ;COMMIT", SqlLimits())
    assert [p.text for p in parsed] == ["BEGIN", "SELECT 'жж' AS x", "COMMIT"]


def test_moderate_nesting_is_accepted() -> None:
    (parsed,) = parse_statements("SELECT " + "+".join(["1"] * 60), SqlLimits())
    assert parsed.text.startswith("SELECT 1+1")
