"""Lineage of expressions, dispatching on the parse node type (research §2.5.3).

Every expression in a statement passes through `expression`, which looks the node type up in a
table of handlers. A node type that is not in the table is refused: new PostgreSQL syntax, or
syntax nobody reviewed, must fail closed. Functions, operators and casts are checked against the
allowlists here; sub-selects are handed back to the select resolver, and the SQL/JSON syntax is
read in json_exprs.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pglast import ast
from pglast.enums import SQLValueFunctionOp, SubLinkType, XmlExprOp

from proxy.sql.columns import resolve_column_ref
from proxy.sql.context import Walk
from proxy.sql.coverage import TRACKED, node_key
from proxy.sql.errors import StatementDenied
from proxy.sql.functions import check_function, function_name
from proxy.sql.lineage import NONE, Lineage, derived_from, union
from proxy.sql.scope import Level

Handler = Callable[[Any, Level, Walk], Lineage]


def expression(node: Any, level: Level, walk: Walk) -> Lineage:
    """The lineage of one expression node; unknown node types are denied."""
    if node is None:
        return NONE
    handler = _HANDLERS.get(type(node)) or _json_handler(type(node))
    if handler is None:
        raise StatementDenied(f"the expression {type(node).__name__} is not supported")
    if isinstance(node, TRACKED):
        walk.visited.add(node_key(node))
    return handler(node, level, walk)


def _json_handler(node_type: type) -> Handler | None:
    from proxy.sql.json_exprs import JSON_HANDLERS

    return JSON_HANDLERS.get(node_type)


def expressions(nodes: Iterable[Any] | None, level: Level, walk: Walk) -> list[Lineage]:
    """The lineage of each expression in `nodes` (None means none)."""
    return [expression(node, level, walk) for node in nodes or ()]


def deciding(node: Any, level: Level, walk: Walk) -> frozenset[Any]:
    """Columns an expression used as a predicate or key depends on; recorded as implicit."""
    columns = expression(node, level, walk).everything
    walk.decides(columns)
    return columns


def _constant(node: Any, level: Level, walk: Walk) -> Lineage:
    return NONE


def _value_function(node: Any, level: Level, walk: Walk) -> Lineage:
    # session_user names the login the proxy connects with, not the principal's role: the
    # proxy's infrastructure is not the client's business (current_user is the role, allowed)
    if node.op == SQLValueFunctionOp.SVFOP_SESSION_USER:
        raise StatementDenied("session_user is not allowed: it names the proxy's own login")
    return NONE


def _column_ref(node: Any, level: Level, walk: Walk) -> Lineage:
    return resolve_column_ref(node, level, walk).lineage


def _operands(node: Any) -> list[Any]:
    operands: list[Any] = []
    for side in (node.lexpr, node.rexpr):
        if isinstance(side, tuple | list):
            operands.extend(side)  # IN (...) lists, BETWEEN bounds
        elif side is not None:
            operands.append(side)
    return operands


def _a_expr(node: Any, level: Level, walk: Walk) -> Lineage:
    _check_operator(node.name, walk)
    return derived_from(expressions(_operands(node), level, walk))


def _check_operator(name: tuple[ast.String, ...] | None, walk: Walk) -> None:
    parts = [str(part.sval) for part in name or ()]
    if len(parts) > 1 and parts[0] != "pg_catalog":
        raise StatementDenied(f"operator {'.'.join(parts)} is not allowed: not in pg_catalog")
    if parts and walk.catalog.user_operator(parts[-1]):
        raise StatementDenied(f"operator {parts[-1]} is not allowed: a user-defined one exists")


def sort_node(sort: Any, walk: Walk) -> Any:
    """The key of a SortBy, after checking its `USING operator` like any other operator."""
    if sort.useOp:
        _check_operator(sort.useOp, walk)
    return sort.node


def _type_cast(node: Any, level: Level, walk: Walk) -> Lineage:
    check_type(node.typeName, walk)
    return expression(node.arg, level, walk).derive()


def check_type(type_name: Any, walk: Walk) -> None:
    """Casts run type input and cast functions: only built-in types are allowed."""
    parts = [str(part.sval) for part in type_name.names or ()]
    if len(parts) > 1 and parts[0] != "pg_catalog":
        raise StatementDenied(f"type {'.'.join(parts)} is not allowed: not a built-in type")
    if len(parts) == 1 and walk.catalog.user_type(parts[0]):
        raise StatementDenied(f"type {parts[0]} is not allowed: a user-defined one exists")


def _derived_args(attr: str) -> Handler:
    def handler(node: Any, level: Level, walk: Walk) -> Lineage:
        return derived_from(expressions(getattr(node, attr), level, walk))

    return handler


def _single_arg(node: Any, level: Level, walk: Walk) -> Lineage:
    return expression(node.arg, level, walk).derive()


def _case(node: Any, level: Level, walk: Walk) -> Lineage:
    # conditions decide which result appears: implicit flow is leakage (research §2.5.3)
    conditions = [expression(node.arg, level, walk)]
    results = [expression(node.defresult, level, walk)]
    for when in node.args or ():
        conditions.append(expression(when.expr, level, walk))
        results.append(expression(when.result, level, walk))
    decided = union(conditions).everything
    walk.decides(decided)
    return union(results).derive().with_implicit(decided)


def _named_arg(node: Any, level: Level, walk: Walk) -> Lineage:
    return expression(node.arg, level, walk)


def _grouping(node: Any, level: Level, walk: Walk) -> Lineage:
    return Lineage(implicit=union(expressions(node.args, level, walk)).everything)


def _indirection(node: Any, level: Level, walk: Walk) -> Lineage:
    from proxy.sql.indirection import indirection

    return indirection(node, level, walk)


def _xml(node: Any, level: Level, walk: Walk) -> Lineage:
    # these build XML from values and run no SQL; masking at the source masks their inputs
    allowed = (XmlExprOp.IS_XMLFOREST, XmlExprOp.IS_XMLELEMENT, XmlExprOp.IS_XMLCONCAT)
    if node.op not in allowed:
        raise StatementDenied(f"the XML construct {node.op.name} is not allowed")
    named = [target.val for target in node.named_args or ()]
    return derived_from(expressions([*named, *(node.args or ())], level, walk))


def _func_call(node: Any, level: Level, walk: Walk) -> Lineage:
    schema, name = function_name(node.funcname)
    walk.functions[check_function(schema, name, walk.catalog)] = None
    values = expressions(node.args, level, walk)
    order = [expression(sort_node(s, walk), level, walk) for s in node.agg_order or ()]
    decided: frozenset[Any] = frozenset()
    if node.agg_within_group:  # mode() WITHIN GROUP (ORDER BY x) returns values of x
        values += order
    else:
        decided = union(order).everything
        walk.decides(decided)
    if node.agg_filter is not None:
        decided |= deciding(node.agg_filter, level, walk)
    if node.over is not None:
        decided |= window(node.over, level, walk)
    return derived_from(values).with_implicit(decided)


def window(node: Any, level: Level, walk: Walk) -> frozenset[Any]:
    """Columns a window's partitioning, ordering and frame depend on."""
    parts = [*(node.partitionClause or ()), *(sort_node(s, walk) for s in node.orderClause or ())]
    parts += [node.startOffset, node.endOffset]
    decided: frozenset[Any] = frozenset()
    for part in parts:
        if part is not None:
            decided |= deciding(part, level, walk)
    return decided


def _sublink(node: Any, level: Level, walk: Walk) -> Lineage:
    from proxy.sql.select import select_outputs

    outputs = [lin for _, lin in select_outputs(node.subselect, level, walk)]
    kind = node.subLinkType
    if kind == SubLinkType.EXPR_SUBLINK and len(outputs) == 1:
        return outputs[0]  # a scalar sub-select passes its value unchanged
    if kind == SubLinkType.ARRAY_SUBLINK:
        return union(outputs).derive()
    if kind == SubLinkType.EXISTS_SUBLINK:
        return union(outputs).to_implicit()
    if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
        _check_operator(node.operName, walk)
        test = expression(node.testexpr, level, walk)
        return test.derive().with_implicit(union(outputs).everything)
    raise StatementDenied(f"the sub-select form {kind.name} is not supported")


_HANDLERS: dict[type, Handler] = {
    ast.A_Const: _constant,
    ast.ParamRef: _constant,  # $n values are client data, not columns
    ast.SQLValueFunction: _value_function,
    ast.SetToDefault: _constant,
    ast.ColumnRef: _column_ref,
    ast.A_Expr: _a_expr,
    ast.BoolExpr: _derived_args("args"),
    ast.NullTest: _single_arg,
    ast.BooleanTest: _single_arg,
    ast.TypeCast: _type_cast,
    ast.CollateClause: _single_arg,
    ast.CaseExpr: _case,
    ast.CoalesceExpr: _derived_args("args"),
    ast.MinMaxExpr: _derived_args("args"),
    ast.RowExpr: _derived_args("args"),
    ast.A_ArrayExpr: _derived_args("elements"),
    ast.NamedArgExpr: _named_arg,
    ast.GroupingFunc: _grouping,
    ast.A_Indirection: _indirection,
    ast.XmlExpr: _xml,
    ast.FuncCall: _func_call,
    ast.SubLink: _sublink,
}
