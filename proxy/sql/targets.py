"""Select lists and the clauses that may name their outputs (ORDER BY, GROUP BY, DISTINCT ON).

A select list yields the statement's output columns, expanding `*`, `d.*` and `(d).*` from the
FROM items in order, and naming each column as PostgreSQL's FigureColname would. Sort and group
keys may be an output position (`ORDER BY 1`) or an output name (`ORDER BY x`), so they resolve
against the outputs as well as the FROM items.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.sql.columns import node_list, star_columns
from proxy.sql.context import Walk
from proxy.sql.coverage import node_key
from proxy.sql.errors import StatementDenied, UndefinedColumn
from proxy.sql.expressions import expression
from proxy.sql.indirection import row_item
from proxy.sql.json_exprs import json_function_name
from proxy.sql.lineage import Lineage, union
from proxy.sql.scope import Level

Outputs = list[tuple[str, Lineage]]


def target_list(targets: Any, level: Level, walk: Walk) -> Outputs:
    """The output columns of a select list."""
    outputs: Outputs = []
    for target in targets or ():
        outputs += _target(target, level, walk)
    return outputs


def _target(target: Any, level: Level, walk: Walk) -> Outputs:
    value = target.val
    fields = node_list(getattr(value, "fields", None))
    if isinstance(value, ast.ColumnRef) and isinstance(fields[-1], ast.A_Star):
        walk.visited.add(node_key(value))
        return star_columns([str(f.sval) for f in fields[:-1]], level, walk)
    steps = node_list(getattr(value, "indirection", None))
    if isinstance(value, ast.A_Indirection) and isinstance(steps[-1], ast.A_Star):
        item = row_item(value.arg, level) if len(steps) == 1 else None
        if item is None:
            raise StatementDenied("(expression).* is only supported on a FROM item")
        walk.visited.add(node_key(value.arg))
        return star_columns([str(item.name)], level, walk) if item.name else []
    lineage = expression(value, level, walk)
    walk.decides(lineage.implicit)
    return [(target.name or figure_name(value), lineage)]


def figure_name(node: Any) -> str:
    """The output name PostgreSQL gives an unnamed select-list expression."""
    if isinstance(node, ast.ColumnRef):
        return _last_name(node_list(node.fields), "?column?")
    if isinstance(node, ast.FuncCall):
        return _last_name(node_list(node.funcname), "?column?")
    if isinstance(node, ast.TypeCast):
        inner = figure_name(node.arg)
        type_names = node_list(getattr(node.typeName, "names", None))
        return inner if inner != "?column?" else _last_name(type_names, inner)
    if isinstance(node, ast.A_Indirection):
        return _last_name(node_list(node.indirection), figure_name(node.arg))
    if isinstance(node, ast.JsonFuncExpr):
        return json_function_name(node.op)
    return _FIXED_NAMES.get(type(node), "?column?")


def _last_name(parts: tuple[Any, ...], default: str) -> str:
    last = parts[-1] if parts else None
    return str(last.sval) if isinstance(last, ast.String) else default


_FIXED_NAMES: dict[type, str] = {
    ast.CaseExpr: "case",
    ast.CoalesceExpr: "coalesce",
    ast.A_ArrayExpr: "array",
    ast.RowExpr: "row",
    ast.JsonObjectConstructor: "json_object",
    ast.JsonArrayConstructor: "json_array",
    ast.JsonArrayQueryConstructor: "json_array",
    ast.JsonObjectAgg: "json_objectagg",
    ast.JsonArrayAgg: "json_arrayagg",
    ast.JsonParseExpr: "json",
    ast.JsonScalarExpr: "json_scalar",
    ast.JsonSerializeExpr: "json_serialize",
}


def sort_key(node: Any, level: Level, walk: Walk, outputs: Outputs) -> Lineage:
    """A key of ORDER BY / GROUP BY / DISTINCT ON: an output position, name, or expression."""
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
        position = int(node.val.ival or 0)
        if not 1 <= position <= len(outputs):
            raise UndefinedColumn(f"position {position} is not in the select list")
        return outputs[position - 1][1]
    fields = node_list(getattr(node, "fields", None))
    if isinstance(node, ast.ColumnRef) and len(fields) == 1:
        name = fields[0]
        named = [lin for out, lin in outputs if isinstance(name, ast.String) and out == name.sval]
        if named:
            # PostgreSQL prefers the output for ORDER BY and the input for GROUP BY: take both
            try:
                return union([*named, expression(node, level, walk)])
            except UndefinedColumn:
                return union(named)
    if isinstance(node, ast.GroupingSet):
        return union(sort_key(part, level, walk, outputs) for part in node.content or ())
    return expression(node, level, walk)
