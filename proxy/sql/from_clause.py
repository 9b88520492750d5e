"""FROM items: catalogue relations, CTE references, derived tables, functions and joins.

Each FROM item becomes one or more `RangeItem`s of the current level (research §2.5.2). A table
name resolves to a CTE only if one of that name is in scope, otherwise against the catalogue
snapshot with the pinned search path (pg_catalog first, as PostgreSQL does); every catalogue
relation in a reading position is recorded as a `BaseRef` for the rewriter.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.sql.catalog import Relation
from proxy.sql.context import Walk
from proxy.sql.coverage import node_key
from proxy.sql.errors import StatementDenied, UndefinedRelation
from proxy.sql.expressions import check_type, deciding, expression
from proxy.sql.functions import function_name
from proxy.sql.joins import join_items
from proxy.sql.lineage import NONE, Lineage
from proxy.sql.model import Action, BaseRef, RelationUse, SourceColumn
from proxy.sql.scope import Columns, Level, RangeItem

# set-returning functions whose output columns are not a single value named after the call
_RECORD_FUNCTIONS = {
    "json_each": ("key", "value"),
    "jsonb_each": ("key", "value"),
    "json_each_text": ("key", "value"),
    "jsonb_each_text": ("key", "value"),
}


def add_from_clause(nodes: Any, level: Level, walk: Walk) -> None:
    """Add the items of a FROM list to `level`, left to right (LATERAL sees earlier items)."""
    for node in nodes or ():
        level.items.extend(from_item(node, level, walk))


def from_item(node: Any, level: Level, walk: Walk) -> list[RangeItem]:
    """The range items one FROM element contributes."""
    if isinstance(node, ast.RangeVar):
        return [range_var(node, level, walk, Action.SELECT)]
    if isinstance(node, ast.RangeSubselect):
        return [_subselect(node, level, walk)]
    if isinstance(node, ast.RangeFunction):
        return [_function(node, level, walk)]
    if isinstance(node, ast.JoinExpr):
        return _join(node, level, walk)
    if isinstance(node, ast.RangeTableSample):
        from proxy.sql.sampling import table_sample

        return [table_sample(node, level, walk)]
    raise StatementDenied(f"the FROM item {type(node).__name__} is not supported")


def range_var(node: Any, level: Level, walk: Walk, action: Action) -> RangeItem:
    """A table name: a CTE in scope, or a catalogue relation (recorded as used)."""
    walk.visited.add(node_key(node))
    alias = node.alias.aliasname if node.alias else None
    cte = level.find_cte(node.relname) if not node.schemaname and not node.catalogname else None
    if cte is not None and action is Action.SELECT:
        columns = rename(cte.columns, node.alias)
        return RangeItem(alias or node.relname, columns, aliased=alias is not None)
    relation = resolve_relation(node, walk)
    walk.relations[RelationUse(relation.schema, relation.name, alias, action, relation.relkind)] = (
        None
    )
    if action is Action.SELECT:
        ref = BaseRef(node.location, relation.schema, relation.name, alias or relation.name)
        walk.base_refs[node.location] = ref
    columns = tuple(
        (
            col.name,
            Lineage(as_is=frozenset({SourceColumn(relation.schema, relation.name, col.name)})),
        )
        for col in relation.columns
    )
    return RangeItem(
        alias or node.relname, rename(columns, node.alias), relation, aliased=alias is not None
    )


def _base_column(relation: Relation, name: str) -> Lineage:
    return Lineage(as_is=frozenset({SourceColumn(relation.schema, relation.name, name)}))


def resolve_relation(node: Any, walk: Walk) -> Relation:
    """The catalogue relation a (possibly qualified) table name denotes."""
    if node.catalogname and node.catalogname != walk.catalog.database:
        raise StatementDenied(f"cross-database references are not allowed: {node.catalogname}")
    schema = node.schemaname
    if schema is not None and schema.startswith("pg_temp"):
        raise StatementDenied("temporary relations are not allowed")
    # PostgreSQL searches pg_catalog before the path unless the path names it explicitly
    schemas = (schema,) if schema else ("pg_catalog", *walk.search_path)
    for candidate in schemas:
        relation = walk.catalog.relation(candidate, node.relname)
        if relation is not None:
            return relation
    shown = f"{schema}.{node.relname}" if schema else node.relname
    raise UndefinedRelation(f'relation "{shown}" does not exist')


def rename(columns: Columns, alias: Any) -> Columns:
    """Apply an alias column list positionally, as `AS d(a, b)` does."""
    names = [str(n.sval) for n in (alias.colnames or ())] if alias else []
    if len(names) > len(columns):
        raise StatementDenied("the alias names more columns than the relation has")
    return tuple(
        (names[i] if i < len(names) else name, lin) for i, (name, lin) in enumerate(columns)
    )


def _subselect(node: Any, level: Level, walk: Walk) -> RangeItem:
    from proxy.sql.select import select_outputs

    # a LATERAL sub-select sees the items to its left; a plain one only the enclosing levels
    scope = level if node.lateral else level.parent
    columns = tuple(select_outputs(node.subquery, scope, walk))
    name = node.alias.aliasname if node.alias else None
    return RangeItem(name, rename(columns, node.alias), aliased=name is not None)


def _function(node: Any, level: Level, walk: Walk) -> RangeItem:
    # functions in FROM are implicitly LATERAL
    alias = node.alias.aliasname if node.alias else None
    columns: list[tuple[str, Lineage]] = []
    for call, own_coldefs in node.functions:
        # `f() AS t(a int)` puts the definition list on the item, ROWS FROM on each function
        coldefs = own_coldefs or (node.coldeflist if len(node.functions) == 1 else None)
        if not isinstance(call, ast.FuncCall):
            raise StatementDenied(f"the FROM function {type(call).__name__} is not supported")
        lineage = expression(call, level, walk)
        for coldef in coldefs or ():
            check_type(coldef.typeName, walk)  # a column definition list casts the result
        names = _function_columns(call, coldefs, alias, len(node.functions))
        columns += [(name, lineage) for name in names]
    if node.ordinality:
        columns.append(("ordinality", NONE))
    return RangeItem(alias, rename(tuple(columns), node.alias), aliased=alias is not None)


def _function_columns(call: Any, coldefs: Any, alias: str | None, count: int) -> tuple[str, ...]:
    if coldefs:
        return tuple(str(col.colname) for col in coldefs)
    _, name = function_name(call.funcname)
    if name in _RECORD_FUNCTIONS:
        return _RECORD_FUNCTIONS[name]
    if name == "unnest" and len(call.args or ()) > 1:
        return tuple("unnest" for _ in call.args)
    # a scalar function's column is named after the FROM alias when there is one
    return (alias if alias and count == 1 else name,)


def _join(node: Any, level: Level, walk: Walk) -> list[RangeItem]:
    left = from_item(node.larg, level, walk)
    level.items.extend(left)  # a LATERAL right side may refer to the left side
    try:
        right = from_item(node.rarg, level, walk)
    finally:
        del level.items[len(level.items) - len(left) :]
    items = join_items(node, left, right, walk)
    if node.quals is not None:
        visible = Level(level.parent, items=[*level.items, *left, *right])
        deciding(node.quals, visible, walk)
    return items
