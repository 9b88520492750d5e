"""Resolution of SELECT statements: WITH scopes, set operations, VALUES and plain selects.

`select_outputs` is the entry for every query level (top statement, derived table, CTE body,
sub-select in an expression). It returns the output columns with their lineage and records in the
`Walk` every column that decides rows or order. SELECT INTO and FOR UPDATE/SHARE are refused at
any level; a data-modifying CTE is refused wherever it appears.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import SetOperation

from proxy.sql.context import Walk
from proxy.sql.errors import StatementDenied
from proxy.sql.expressions import deciding, expression, sort_node, window
from proxy.sql.from_clause import add_from_clause, rename
from proxy.sql.lineage import Lineage, union
from proxy.sql.scope import Cte, Level
from proxy.sql.targets import Outputs, sort_key, target_list

_MAX_RECURSION_ROUNDS = 32


def select_outputs(stmt: Any, parent: Level | None, walk: Walk) -> Outputs:
    """The output columns of a query at any level."""
    if not isinstance(stmt, ast.SelectStmt):
        raise StatementDenied(f"{type(stmt).__name__} is not allowed as a query")
    _refuse_clauses(stmt)
    scope = with_clause(stmt.withClause, parent, walk)
    if stmt.op != SetOperation.SETOP_NONE:
        outputs = _set_operation(stmt, scope, walk)
    elif stmt.valuesLists:
        outputs = _values(stmt, scope, walk)
    else:
        outputs = _plain(stmt, scope, walk)
    return outputs


def _refuse_clauses(stmt: Any) -> None:
    if stmt.intoClause is not None:
        raise StatementDenied("SELECT INTO is not allowed: it creates a table")
    if stmt.lockingClause:
        raise StatementDenied("FOR UPDATE/SHARE is not allowed: it locks rows")


def with_clause(node: Any, parent: Level | None, walk: Walk) -> Level | None:
    """A level carrying the CTEs of `node`, visible to its statement and later CTEs only."""
    if node is None:
        return parent
    level = Level(parent)
    for cte in node.ctes:
        if not isinstance(cte.ctequery, ast.SelectStmt):
            kind = type(cte.ctequery).__name__.removesuffix("Stmt").upper()
            raise StatementDenied(f"data-modifying CTE ({kind} in WITH) is not allowed")
        if cte.search_clause is not None or cte.cycle_clause is not None:
            raise StatementDenied("SEARCH and CYCLE clauses of recursive CTEs are not supported")
        if node.recursive:
            _recursive_cte(cte, level, walk)
        else:
            columns = tuple(select_outputs(cte.ctequery, level, walk))
            level.ctes[cte.ctename] = Cte(cte.ctename, _cte_names(cte, columns))
    return level


def _recursive_cte(cte: Any, level: Level, walk: Walk) -> None:
    # lineage through a recursive CTE is a fixpoint: start from the non-recursive term and
    # widen until a round adds nothing (the sets only grow, and they are finite)
    query = cte.ctequery
    seed_query = query.larg if query.op != SetOperation.SETOP_NONE else query
    columns = _cte_names(cte, tuple(select_outputs(seed_query, level, walk)))
    for _ in range(_MAX_RECURSION_ROUNDS):
        level.ctes[cte.ctename] = Cte(cte.ctename, columns)
        found = _cte_names(cte, tuple(select_outputs(query, level, walk)))
        if len(found) != len(columns):
            raise StatementDenied(f"recursive query {cte.ctename} changes its column count")
        widened = tuple(
            (name, lin | new) for (name, lin), (_, new) in zip(columns, found, strict=True)
        )
        if widened == columns:
            return
        columns = widened
    raise StatementDenied(f"recursive query {cte.ctename} is too complex to analyse")


def _cte_names(cte: Any, columns: tuple[tuple[str, Lineage], ...]) -> Any:
    names = ast.Alias(aliasname=cte.ctename, colnames=cte.aliascolnames or ())
    return rename(columns, names)


def _set_operation(stmt: Any, scope: Level | None, walk: Walk) -> Outputs:
    left = select_outputs(stmt.larg, scope, walk)
    right = select_outputs(stmt.rarg, scope, walk)
    if len(left) != len(right):
        raise StatementDenied("each branch of a set operation must have the same column count")
    outputs = [(name, a | b) for (name, a), (_, b) in zip(left, right, strict=True)]
    if not (stmt.op == SetOperation.SETOP_UNION and stmt.all):
        # UNION, INTERSECT and EXCEPT compare values: membership is decided by them
        outputs = _decided_by_outputs(outputs, walk)
    return _order_and_limit(stmt, Level(scope), walk, outputs)


def _values(stmt: Any, scope: Level | None, walk: Walk) -> Outputs:
    level = Level(scope)
    rows = [[expression(value, level, walk) for value in row] for row in stmt.valuesLists]
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise StatementDenied("VALUES lists must all be the same length")
    outputs = [(f"column{i + 1}", union(row[i] for row in rows)) for i in range(width)]
    return _order_and_limit(stmt, level, walk, outputs)


def _plain(stmt: Any, scope: Level | None, walk: Walk) -> Outputs:
    level = Level(scope)
    add_from_clause(stmt.fromClause, level, walk)
    outputs = target_list(stmt.targetList, level, walk)
    decided = deciding(stmt.whereClause, level, walk) | deciding(stmt.havingClause, level, walk)
    for key in stmt.groupClause or ():
        decided |= _key(key, level, walk, outputs)
    for named in stmt.windowClause or ():
        decided |= window(named, level, walk)
    if stmt.distinctClause:
        if stmt.distinctClause == (None,):
            outputs = _decided_by_outputs(outputs, walk)
        for key in stmt.distinctClause:
            if key is not None:
                decided |= _key(key, level, walk, outputs)
    outputs = [(name, lin.with_implicit(decided)) for name, lin in outputs]
    return _order_and_limit(stmt, level, walk, outputs)


def _order_and_limit(stmt: Any, level: Level, walk: Walk, outputs: Outputs) -> Outputs:
    decided: frozenset[Any] = frozenset()
    for sort in stmt.sortClause or ():
        decided |= _key(sort_node(sort, walk), level, walk, outputs)
    decided |= deciding(stmt.limitCount, level, walk) | deciding(stmt.limitOffset, level, walk)
    return [(name, lin.with_implicit(decided)) for name, lin in outputs]


def _key(node: Any, level: Level, walk: Walk, outputs: Outputs) -> frozenset[Any]:
    columns = sort_key(node, level, walk, outputs).everything
    walk.decides(columns)
    return columns


def _decided_by_outputs(outputs: Outputs, walk: Walk) -> Outputs:
    decided = union(lin for _, lin in outputs).everything
    walk.decides(decided)
    return [(name, lin.with_implicit(decided)) for name, lin in outputs]
