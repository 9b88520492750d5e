"""Lineage of the SQL/JSON syntax of PostgreSQL 16 and 17.

`JSON_OBJECT`, `JSON_ARRAY`, `JSON_OBJECTAGG`, `JSON_ARRAYAGG`, `IS JSON`, `JSON()`,
`JSON_SCALAR`, `JSON_SERIALIZE`, `JSON_VALUE`, `JSON_QUERY` and `JSON_EXISTS` compute a value
from their inputs and run no SQL of their own, so each input flows into the result: a masked
column inside comes out as a masked output. A jsonpath may return its PASSING values, its own
literals or a DEFAULT, so those flow into the result too. A `RETURNING` type is a cast and is
checked like one. `expression` (expressions.py) looks these node types up here.
"""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.enums import JsonExprOp

from proxy.sql.context import Walk
from proxy.sql.errors import StatementDenied
from proxy.sql.expressions import Handler, check_type, deciding, expression, sort_node, window
from proxy.sql.lineage import Lineage, derived_from, union
from proxy.sql.scope import Level

FUNCTION_NAMES = {
    JsonExprOp.JSON_EXISTS_OP: "json_exists",
    JsonExprOp.JSON_QUERY_OP: "json_query",
    JsonExprOp.JSON_VALUE_OP: "json_value",
}


def json_function_name(op: Any) -> str:
    """The output name PostgreSQL gives an unnamed JSON_EXISTS/JSON_QUERY/JSON_VALUE."""
    return FUNCTION_NAMES.get(op, "?column?")


def _output(output: Any, walk: Walk) -> None:
    if output is not None and output.typeName is not None:
        check_type(output.typeName, walk)


def _value(node: Any, level: Level, walk: Walk) -> Lineage:
    if node.formatted_expr is not None:  # set by PostgreSQL's analysis, never by its parser
        raise StatementDenied("a pre-analysed JSON value expression is not supported")
    return expression(node.raw_expr, level, walk)


def _pairs(pairs: Any) -> list[Any]:
    parts: list[Any] = []
    for pair in pairs or ():
        if not isinstance(pair, ast.JsonKeyValue):
            raise StatementDenied(f"JSON_OBJECT with a {type(pair).__name__} is not supported")
        parts += [pair.key, pair.value]
    return parts


def _object(node: Any, level: Level, walk: Walk) -> Lineage:
    _output(node.output, walk)
    return derived_from(expression(part, level, walk) for part in _pairs(node.exprs))


def _array(node: Any, level: Level, walk: Walk) -> Lineage:
    _output(node.output, walk)
    return derived_from(expression(value, level, walk) for value in node.exprs or ())


def _array_query(node: Any, level: Level, walk: Walk) -> Lineage:
    from proxy.sql.select import select_outputs

    _output(node.output, walk)
    outputs = select_outputs(node.query, level, walk)
    if len(outputs) != 1:
        raise StatementDenied("JSON_ARRAY(SELECT ...) must select exactly one column")
    return union(lin for _, lin in outputs).derive()


def _aggregate(constructor: Any, values: list[Lineage], level: Level, walk: Walk) -> Lineage:
    # like an aggregate call: ORDER BY, FILTER and OVER decide, they do not flow into the value
    _output(constructor.output, walk)
    decided = deciding(constructor.agg_filter, level, walk)
    for sort in constructor.agg_order or ():
        decided |= deciding(sort_node(sort, walk), level, walk)
    if constructor.over is not None:
        decided |= window(constructor.over, level, walk)
    return derived_from(values).with_implicit(decided)


def _object_agg(node: Any, level: Level, walk: Walk) -> Lineage:
    values = [expression(part, level, walk) for part in _pairs((node.arg,))]
    return _aggregate(node.constructor, values, level, walk)


def _array_agg(node: Any, level: Level, walk: Walk) -> Lineage:
    return _aggregate(node.constructor, [expression(node.arg, level, walk)], level, walk)


def _of_expr(node: Any, level: Level, walk: Walk) -> Lineage:
    # IS JSON, JSON(), JSON_SCALAR(), JSON_SERIALIZE(): a value computed from one input
    _output(getattr(node, "output", None), walk)
    return expression(node.expr, level, walk).derive()


def _query_function(node: Any, level: Level, walk: Walk) -> Lineage:
    if node.op not in FUNCTION_NAMES or node.column_name is not None:
        raise StatementDenied(f"the SQL/JSON function {node.op.name} is not supported")
    _output(node.output, walk)
    parts = [node.context_item, node.pathspec]
    for argument in node.passing or ():
        parts.append(argument.val)
    for behaviour in (node.on_empty, node.on_error):
        if behaviour is not None:
            parts.append(behaviour.expr)  # DEFAULT expr ON EMPTY / ON ERROR
    return derived_from(expression(part, level, walk) for part in parts)


JSON_HANDLERS: dict[type, Handler] = {
    ast.JsonValueExpr: _value,
    ast.JsonObjectConstructor: _object,
    ast.JsonArrayConstructor: _array,
    ast.JsonArrayQueryConstructor: _array_query,
    ast.JsonObjectAgg: _object_agg,
    ast.JsonArrayAgg: _array_agg,
    ast.JsonIsPredicate: _of_expr,
    ast.JsonParseExpr: _of_expr,
    ast.JsonScalarExpr: _of_expr,
    ast.JsonSerializeExpr: _of_expr,
    ast.JsonFuncExpr: _query_function,
}
