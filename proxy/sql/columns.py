"""Resolving column references: plain, qualified, whole-row, and field selection.

Follows PostgreSQL's `transformColumnRef` (research §2.5.3): `x` is a column at the nearest level
that has one, otherwise a FROM item named `x` (its whole row); `a.b` is column `b` of item `a`,
otherwise field `b` of a composite column `a`; three and four parts add schema and database. A
whole-row reference to a catalogue relation is recorded, because it carries every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pglast import ast

from proxy.sql.context import Walk
from proxy.sql.errors import AmbiguousColumn, StatementDenied, UndefinedColumn, UndefinedRelation
from proxy.sql.lineage import Lineage, union
from proxy.sql.model import WholeRowUse
from proxy.sql.scope import Level, RangeItem


@dataclass(frozen=True, slots=True)
class Resolved:
    """A resolved reference: its lineage and, for a whole-row reference, the item."""

    lineage: Lineage
    item: RangeItem | None = None


def resolve_column_ref(node: Any, level: Level, walk: Walk) -> Resolved:
    """Resolve a ColumnRef used as a value (a trailing `*` means the whole row)."""
    fields = node.fields
    star = isinstance(fields[-1], ast.A_Star)
    names = [_field(f) for f in (fields[:-1] if star else fields)]
    if star:
        if not names:
            raise StatementDenied("a bare * is only allowed in a select list")
        return whole_row(_qualified_item(names, level, walk), walk)
    resolved = _resolve_names(names, level, walk)
    walk.referenced.update(resolved.lineage.everything)
    return resolved


def whole_row(item: RangeItem, walk: Walk) -> Resolved:
    """The whole row of `item`: a record built from every column."""
    if item.relation is not None:
        alias = item.name if item.aliased else None
        walk.whole_rows[WholeRowUse(item.relation.schema, item.relation.name, alias)] = None
    lineage = union(lin for _, lin in item.columns).derive()
    walk.referenced.update(lineage.everything)
    return Resolved(lineage, item)


def item_column(item: RangeItem, name: str) -> Lineage:
    """Column `name` of `item`, or the error PostgreSQL would give."""
    found = item.column(name)
    if not found:
        raise UndefinedColumn(f"column {item.name}.{name} does not exist")
    if len(found) > 1:
        raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
    return found[0]


def star_columns(names: list[str], level: Level, walk: Walk) -> list[tuple[str, Lineage]]:
    """The columns `*` or `a.*` expands to in a select list."""
    if names:
        items = [_qualified_item(names, level, walk)]
    else:
        items = level.star_items()
        if not items:
            raise StatementDenied("SELECT * with no tables specified is not valid")
    columns = [col for item in items for col in item.columns]
    for _, lin in columns:
        walk.referenced.update(lin.everything)
    return columns


def _resolve_names(names: list[str], level: Level, walk: Walk) -> Resolved:
    if len(names) == 1:
        return _one_name(names[0], level, walk)
    if len(names) == 4:
        _check_database(names[0], walk)
        names = names[1:]
    if len(names) == 3:
        item = level.find_item(names[1], schema=names[0])
        if item is not None:
            return Resolved(item_column(item, names[2]))
        # rel.col.field: a field of a composite column
        return Resolved(_two_names(names[0], names[1], level, walk).lineage.derive())
    if len(names) == 2:
        return _two_names(names[0], names[1], level, walk)
    raise StatementDenied(f"column reference with {len(names)} parts is not supported")


def _one_name(name: str, level: Level, walk: Walk) -> Resolved:
    column = level.find_column(name)
    if column is not None:
        return Resolved(column)
    item = level.find_item(name)
    if item is not None:
        return whole_row(item, walk)
    raise UndefinedColumn(f'column "{name}" does not exist')


def _two_names(first: str, second: str, level: Level, walk: Walk) -> Resolved:
    item = level.find_item(first)
    if item is not None:
        return Resolved(item_column(item, second))
    column = level.find_column(first)
    if column is not None:  # field `second` of composite column `first`
        return Resolved(column.derive())
    raise UndefinedRelation(f'missing FROM-clause entry for table "{first}"')


def _qualified_item(names: list[str], level: Level, walk: Walk) -> RangeItem:
    if len(names) == 3:
        _check_database(names[0], walk)
        names = names[1:]
    schema = names[0] if len(names) == 2 else None
    if len(names) > 2:
        raise StatementDenied("qualified * with too many parts")
    item = level.find_item(names[-1], schema=schema)
    if item is None:
        raise UndefinedRelation(f'missing FROM-clause entry for table "{names[-1]}"')
    return item


def _check_database(name: str, walk: Walk) -> None:
    if name != walk.catalog.database:
        raise StatementDenied(f"cross-database references are not allowed: {name}")


def node_list(value: Any) -> tuple[Any, ...]:
    """A node-list field as a tuple (pglast types every field as optional)."""
    return tuple(value or ())


def _field(node: Any) -> str:
    if isinstance(node, ast.String):
        return str(node.sval)
    raise StatementDenied(f"unsupported column reference part {type(node).__name__}")
