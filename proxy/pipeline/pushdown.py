"""Conditions that may cross the masking subquery's fence, so indexes still serve lookups.

The `OFFSET 0` fence keeps the client's conditions from running on rows the row filter hides
(an erroring condition would otherwise reveal them). It also hides `WHERE id = $1` from the
index. PostgreSQL solves the same problem for security-barrier views by pushing down only
leakproof conditions; this does the same for the simplest, most common case: a comparison of a
column the principal sees in clear with a constant or a parameter, using an operator that is
leakproof for the column's type. Such a copy inside the fence can neither fail nor reveal
anything, and the original condition stays where the client wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType
from pglast.stream import RawStream

from proxy.policy import TableDecision
from proxy.sql import BaseRef, Relation
from proxy.sql.quoting import quote_ident

COMPARISONS = frozenset({"=", "<>", "<", "<=", ">", ">="})
# Types whose comparison operators PostgreSQL marks leakproof (numeric's are not).
LEAKPROOF_TYPES = frozenset(
    {"smallint", "integer", "bigint", "text", "character varying", "character", "date", "uuid",
     "boolean"}
)  # fmt: skip


def pushable_conditions(
    stmt: Any, ref: BaseRef, relation: Relation, decision: TableDecision
) -> list[str]:
    """SQL conditions (on the base table's own column names) safe to repeat inside the fence."""
    select = _select_with_direct_ref(stmt, ref.location)
    if select is None or select.whereClause is None:
        return []
    single = len(select.fromClause) == 1
    pushed = []
    for conjunct in _conjuncts(select.whereClause):
        condition = _comparison(conjunct, ref.alias, single, relation, decision)
        if condition is not None:
            pushed.append(condition)
    return pushed


def _select_with_direct_ref(node: Any, location: int) -> Any | None:
    """The SELECT whose FROM list holds the reference itself (not inside a join)."""
    for candidate in _walk(node):
        if isinstance(candidate, ast.SelectStmt) and candidate.fromClause:
            for item in candidate.fromClause:
                if isinstance(item, ast.RangeVar) and item.location == location:
                    return candidate
    return None


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for name in getattr(type(node), "__slots__", ()):
            yield from _walk(getattr(node, name))


def _conjuncts(condition: Any) -> Iterator[Any]:
    if isinstance(condition, ast.BoolExpr) and condition.boolop == BoolExprType.AND_EXPR:
        for arg in condition.args or ():
            yield from _conjuncts(arg)
    else:
        yield condition


def _comparison(
    node: Any, alias: str, single: bool, relation: Relation, decision: TableDecision
) -> str | None:
    if not isinstance(node, ast.A_Expr) or node.kind != A_Expr_Kind.AEXPR_OP:
        return None
    if node.lexpr is None or node.rexpr is None:
        return None
    names = tuple(node.name or ())
    if len(names) != 1 or names[0].sval not in COMPARISONS:
        return None
    operator = names[0].sval
    for column_side, value_side, column_first in (
        (node.lexpr, node.rexpr, True),
        (node.rexpr, node.lexpr, False),
    ):
        column = _own_column(column_side, alias, single, relation, decision)
        if column is not None and _constant_or_parameter(value_side):
            value = str(RawStream()(value_side))  # a constant or $n: nothing to resolve
            left, right = (
                (quote_ident(column), value) if column_first else (value, quote_ident(column))
            )
            return f"{left} {operator} {right}"
    return None


def _own_column(
    node: Any, alias: str, single: bool, relation: Relation, decision: TableDecision
) -> str | None:
    if not isinstance(node, ast.ColumnRef):
        return None
    names = [getattr(field, "sval", None) for field in node.fields or ()]
    if len(names) == 2 and names[0] == alias:
        name = names[1]
    elif len(names) == 1 and single:
        name = names[0]
    else:
        return None
    column = relation.column(name) if isinstance(name, str) else None
    if column is None or column.type_name.split("(")[0] not in LEAKPROOF_TYPES:
        return None
    return column.name if decision.column(column.name).decision == "allow" else None


def _constant_or_parameter(node: Any) -> bool:
    if isinstance(node, ast.TypeCast):
        return _constant_or_parameter(node.arg)
    if isinstance(node, ast.ParamRef):
        return True
    return isinstance(node, ast.A_Const) and not node.isnull
