"""`FROM t TABLESAMPLE method (args) [REPEATABLE (seed)]`: a sampled catalogue table.

The sampled table is an ordinary table reference: it is resolved and recorded like any other,
so the policy decides on it. The rewriter cannot put TABLESAMPLE on a masking subquery and
refuses such a reference (rewrite.py); only a table the principal sees whole and in clear is
sampled. Only the built-in methods pass: a sampling method is a function found by name, and a
user-defined one is someone else's code.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.sql.context import Walk
from proxy.sql.errors import StatementDenied
from proxy.sql.expressions import deciding
from proxy.sql.from_clause import range_var
from proxy.sql.model import Action
from proxy.sql.scope import Level, RangeItem

BUILT_IN_METHODS = frozenset({"system", "bernoulli"})


def table_sample(node: Any, level: Level, walk: Walk) -> RangeItem:
    """The range item of a sampled table, after checking the method and its arguments."""
    relation = node.relation
    if not isinstance(relation, ast.RangeVar):
        raise StatementDenied("TABLESAMPLE applies to a table name only")
    if not relation.schemaname and level.find_cte(str(relation.relname)) is not None:
        raise StatementDenied("TABLESAMPLE applies to tables, not to a WITH query")
    _check_method(node.method, walk)
    item = range_var(relation, level, walk, Action.SELECT)
    # the arguments pick rows by chance, never by their values; read them like a predicate
    for argument in (*(node.args or ()), node.repeatable):
        deciding(argument, level, walk)
    return item


def _check_method(method: Any, walk: Walk) -> None:
    parts = [str(part.sval) for part in method or ()]
    name = parts[-1] if parts else ""
    shown = ".".join(parts)
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "pg_catalog"):
        raise StatementDenied(f"TABLESAMPLE method {shown} is not allowed: not built in")
    if name not in BUILT_IN_METHODS:
        raise StatementDenied(
            f"TABLESAMPLE method {shown} is not allowed: only SYSTEM and BERNOULLI are"
        )
    if len(parts) == 1 and walk.catalog.user_functions_named(name):
        raise StatementDenied(
            f"TABLESAMPLE method {name} is not allowed: a user-defined function of that name exists"
        )
