"""Bounding a query's rows in its own text, so that reading it needs no cursor.

A result above `query.max_rows` is refused rather than held in memory. A cursor bounds the rows
read, but it needs a transaction and costs four round trips more than the statement itself; a
`LIMIT` of `max_rows + 1` on the outermost SELECT bounds them in the one round trip the statement
needs, and the executor still refuses the result when the extra row arrives.

The client's own limit is kept: a constant at or under the bound stays as it is, anything else
(`LIMIT ALL`, a parameter, an expression) becomes `LEAST(limit, bound)` — `LEAST` ignores a NULL,
so `LIMIT NULL` (no limit) is bounded too. `FETCH FIRST … WITH TIES` may return more rows than
its count, so such a statement is left to the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pglast import ast
from pglast.enums import LimitOption, MinMaxOp


@contextmanager
def row_bound(stmt: Any, max_rows: int) -> Iterator[bool]:
    """Within the block, the outermost SELECT of `stmt` returns at most `max_rows + 1` rows;
    yields whether it could be bounded. The tree is restored on leaving the block."""
    if (
        not isinstance(stmt, ast.SelectStmt)
        or stmt.limitOption == LimitOption.LIMIT_OPTION_WITH_TIES
    ):
        yield False
        return
    original = stmt.limitCount, stmt.limitOption
    bound = max_rows + 1
    if not _constant_within(stmt.limitCount, bound):
        stmt.limitCount = _bounded(stmt.limitCount, bound)
        stmt.limitOption = LimitOption.LIMIT_OPTION_COUNT
    try:
        yield True
    finally:
        stmt.limitCount, stmt.limitOption = original


def _constant_within(limit: Any, bound: int) -> bool:
    if not isinstance(limit, ast.A_Const) or not isinstance(limit.val, ast.Integer):
        return False
    value = limit.val.ival
    return value is not None and 0 <= value <= bound


def _bounded(limit: Any, bound: int) -> Any:
    constant = ast.A_Const(isnull=False, val=ast.Integer(ival=bound))
    if limit is None:
        return constant
    as_bigint = ast.TypeCast(
        arg=constant, typeName=ast.TypeName(names=(ast.String(sval="int8"),), typemod=-1)
    )
    return ast.MinMaxExpr(op=MinMaxOp.IS_LEAST, args=(limit, as_bigint))
