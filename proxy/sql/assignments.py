"""SET lists of UPDATE and of INSERT ... ON CONFLICT DO UPDATE, and the columns a write names.

`SET a = x` copies the value of `x` into `a`; `SET (a, b) = (x, y)` and `SET (a, b) = (SELECT
x, y ...)` copy each value into the column at its position. PostgreSQL accepts only a ROW(...)
or a sub-select as the source of a multiple-column assignment, so anything else is refused; each
copied value counts as used in an expression, and what decides it stays implicit.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import SubLinkType

from proxy.sql.columns import item_column
from proxy.sql.context import Walk
from proxy.sql.coverage import node_key
from proxy.sql.errors import StatementDenied
from proxy.sql.expressions import expression
from proxy.sql.lineage import Lineage
from proxy.sql.model import SourceColumn
from proxy.sql.scope import Level, RangeItem


def set_list(targets: Any, level: Level, walk: Walk) -> list[str]:
    """Resolve a SET list against `level`; returns the assigned column names in order."""
    names: list[str] = []
    sources: list[Lineage] = []  # the values of the multiple-column assignment being read
    for target in targets or ():
        value = target.val
        if isinstance(value, ast.MultiAssignRef):
            if value.colno == 1:
                sources = multi_source(value, level, walk)
            lineage = _nth_source(value, sources)
        else:
            lineage = expression(value, level, walk)
        _copied(lineage, walk)
        names.append(str(target.name))
    return names


def multi_source(node: Any, level: Level, walk: Walk) -> list[Lineage]:
    """The value of each column of `SET (a, b, ...) = source`, in order."""
    source = node.source
    if isinstance(source, ast.RowExpr):
        values = [expression(arg, level, walk) for arg in source.args or ()]
    elif isinstance(source, ast.SubLink) and source.subLinkType == SubLinkType.EXPR_SUBLINK:
        from proxy.sql.select import select_outputs

        walk.visited.add(node_key(source))
        # each output of a row sub-select is copied unchanged into its column
        values = [lin for _, lin in select_outputs(source.subselect, level, walk)]
    else:
        raise StatementDenied(
            "the source of SET (a, b) = ... must be a sub-select or a ROW(...) expression"
        )
    if len(values) != node.ncolumns:
        raise StatementDenied("SET (a, b) = ... must assign exactly one value to each column")
    return values


def _nth_source(node: Any, sources: list[Lineage]) -> Lineage:
    # the parser repeats the source on every column of the list, numbered from 1
    if not 1 <= node.colno <= len(sources) or len(sources) != node.ncolumns:
        raise StatementDenied("malformed multiple-column assignment in SET")
    lineage: Lineage = sources[node.colno - 1]
    return lineage


def _copied(lineage: Lineage, walk: Walk) -> None:
    walk.copied.update(lineage.direct)
    walk.decides(lineage.implicit)


def write_columns(target: RangeItem, names: list[str], walk: Walk) -> None:
    """Record `names` as written columns of the target relation."""
    relation = target.relation
    if relation is None:
        raise StatementDenied("only catalogue relations can be written")
    for name in names:
        item_column(target, name)  # an unknown column is an error, not a silent pass
        walk.written.add(SourceColumn(relation.schema, relation.name, name))
