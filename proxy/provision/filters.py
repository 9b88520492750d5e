"""The columns a row filter reads, so the database role of a filtered proxy role may read them.

Part of the grant computation. The rewriter puts a role's row filter inside the masking subquery,
so the database evaluates it under that role's privileges. Conservatively, and without resolving
aliases: the filter reads every column whose name appears in a column reference of the filter, in
the filtered table and in every table the filter names (its subqueries). That can grant a column
of a subquery's table that merely shares a name with one the filter reads on another table; it
never leaves out a column the filter needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pglast import ast
from pglast.visitors import Visitor

from proxy.policy import RowFilter
from proxy.sql import CatalogSnapshot


def filter_columns(
    row_filter: RowFilter, snapshot: CatalogSnapshot
) -> Mapping[str, frozenset[str]]:
    """Per table (`schema.table`), the columns of it that the filter's branches may read."""
    finder = _References()
    for branch in row_filter.branches:
        finder(branch.node)
    tables = {row_filter.table, *_resolve(finder.relations, snapshot)}
    found: dict[str, frozenset[str]] = {}
    for table in sorted(tables):
        schema, _, name = table.partition(".")
        relation = snapshot.relation(schema, name)
        if relation is None:
            continue
        read = frozenset(c.name for c in relation.columns if c.name in finder.names)
        if read:
            found[table] = read
    return found


def _resolve(relations: Iterable[tuple[str | None, str]], snapshot: CatalogSnapshot) -> set[str]:
    """`schema.table` keys; an unqualified name counts in every schema that has such a table."""
    keys = set()
    for schema, name in relations:
        for s, n in snapshot.relations:
            if n == name and (schema is None or s == schema):
                keys.add(f"{s}.{n}")
    return keys


class _References(Visitor):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.relations: set[tuple[str | None, str]] = set()

    def visit_ColumnRef(self, ancestors: Any, node: Any) -> None:
        last = node.fields[-1] if node.fields else None
        if isinstance(last, ast.String) and last.sval:
            self.names.add(str(last.sval))

    def visit_RangeVar(self, ancestors: Any, node: Any) -> None:
        self.relations.add((node.schemaname, str(node.relname)))
