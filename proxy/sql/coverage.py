"""The coverage check: every table reference, function call, operator, cast, column reference
and sub-select in the statement was seen by the resolver.

Runs after resolution, before the analysis is handed on. The resolver walks the clauses it knows;
a clause it skips (a new PostgreSQL feature, an overlooked field) could hide a table the rewriter
would then not replace, or a function the allowlist never saw. Any such node refuses the
statement: the analysis fails closed instead of passing what it did not read.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.sql.context import Walk
from proxy.sql.errors import StatementDenied

TRACKED: tuple[type, ...] = (
    ast.RangeVar,
    ast.FuncCall,
    ast.A_Expr,
    ast.TypeCast,
    ast.SubLink,
    ast.ColumnRef,
)


def node_key(node: Any) -> tuple[str, int]:
    """How the resolver and this check identify a node: its type and its offset."""
    location = node.location if node.location is not None else -1
    return type(node).__name__, int(location)


def check_coverage(stmt: Any, walk: Walk) -> None:
    """Refuse the statement if the resolver missed a tracked node."""
    for node in _tracked_nodes(stmt):
        if node_key(node) not in walk.visited:
            name = type(node).__name__
            raise StatementDenied(f"{name} in a clause the analyser does not read")


def _tracked_nodes(root: Any) -> list[Any]:
    found: list[Any] = []
    stack = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, tuple):
            stack.extend(value)
        elif isinstance(value, ast.Node):
            if isinstance(value, TRACKED):
                found.append(value)
            stack.extend(getattr(value, name) for name in getattr(type(value), "__slots__", ()))
    return found
