"""A query's rows are bounded in its own text: the client's limit kept, never exceeded."""

from __future__ import annotations

import pglast
import pytest
from pglast.stream import RawStream

from proxy.pipeline.row_bound import row_bound

MAX_ROWS = 100  # the bound is one row more: the extra row tells "too many" from "exactly"


@pytest.mark.parametrize(
    ("sql", "bounded"),
    [
        ("SELECT 1", "SELECT 1 LIMIT 101"),
        ("SELECT 1 LIMIT 5 OFFSET 3", "SELECT 1 LIMIT 5 OFFSET 3"),
        ("SELECT 1 LIMIT 101", "SELECT 1 LIMIT 101"),
        ("SELECT 1 LIMIT 102", "SELECT 1 LIMIT LEAST(102, CAST(101 AS int8))"),
        ("SELECT 1 LIMIT ALL", "SELECT 1 LIMIT LEAST(NULL, CAST(101 AS int8))"),
        ("SELECT 1 LIMIT $1", "SELECT 1 LIMIT LEAST($1, CAST(101 AS int8))"),
        ("SELECT 1 LIMIT 2 + 3", "SELECT 1 LIMIT LEAST(2 + 3, CAST(101 AS int8))"),
        (
            "SELECT 1 ORDER BY 1 FETCH FIRST 3 ROWS ONLY",
            "SELECT 1 ORDER BY 1 LIMIT 3",
        ),
        ("VALUES (1), (2)", "VALUES (1), (2) LIMIT 101"),
        (
            "SELECT 1 UNION SELECT 2 ORDER BY 1",
            "SELECT 1 UNION SELECT 2 ORDER BY 1 LIMIT 101",
        ),
        (
            "WITH t AS (SELECT 1 AS a LIMIT 7) SELECT a FROM t",
            "WITH t AS (SELECT 1 AS a LIMIT 7) SELECT a FROM t LIMIT 101",
        ),
    ],
)
def test_the_outermost_select_is_bounded(sql: str, bounded: str) -> None:
    stmt = pglast.parse_sql(sql)[0].stmt
    original = RawStream()(stmt)
    with row_bound(stmt, MAX_ROWS) as done:
        assert done
        assert RawStream()(stmt) == bounded
    assert RawStream()(stmt) == original, "the tree is restored on leaving the block"


@pytest.mark.parametrize(
    "sql",
    [
        # WITH TIES returns every row tied with the last: more than its count
        "SELECT 1 ORDER BY 1 FETCH FIRST 3 ROWS WITH TIES",
        "INSERT INTO t VALUES (1)",
    ],
)
def test_statements_a_limit_cannot_bound_are_left_alone(sql: str) -> None:
    stmt = pglast.parse_sql(sql)[0].stmt
    original = RawStream()(stmt)
    with row_bound(stmt, MAX_ROWS) as done:
        assert not done
        assert RawStream()(stmt) == original
