"""INSERT ... ON CONFLICT: the arbiter, and the update that DO UPDATE makes on the target.

The conflict target (`(cols)`, an index expression, its WHERE, or `ON CONSTRAINT name`) decides
whether a row is inserted or an existing row changed, so its columns are implicit uses of the
target. DO UPDATE is an UPDATE of the target table: the relation is recorded a second time with
the update action, so a principal that may insert but not update is refused. Its SET list and
WHERE see the target (by its alias) and `excluded`, the row proposed for insertion; as in
PostgreSQL, unqualified names see both and an ambiguous one is an error.
"""

from __future__ import annotations

from typing import Any

from pglast.enums import OnConflictAction

from proxy.sql.assignments import set_list, write_columns
from proxy.sql.columns import item_column
from proxy.sql.context import Walk
from proxy.sql.errors import StatementDenied
from proxy.sql.expressions import deciding
from proxy.sql.model import Action, RelationUse
from proxy.sql.scope import Level, RangeItem


def on_conflict(clause: Any, target: RangeItem, parent: Level | None, walk: Walk) -> None:
    """Resolve the ON CONFLICT clause of an INSERT into `target`, if there is one."""
    if clause is None:
        return
    if clause.infer is not None:
        _arbiter(clause.infer, target, parent, walk)
    if clause.action == OnConflictAction.ONCONFLICT_NOTHING:
        return
    if clause.action != OnConflictAction.ONCONFLICT_UPDATE:
        raise StatementDenied(f"ON CONFLICT action {clause.action.name} is not supported")
    _do_update(clause, target, parent, walk)


def _arbiter(infer: Any, target: RangeItem, parent: Level | None, walk: Walk) -> None:
    # the arbiter sees the target only: neither `excluded` nor the inserted query
    level = Level(parent, items=[target])
    for element in infer.indexElems or ():
        if element.collation or element.opclass or element.opclassopts:
            raise StatementDenied(
                "collations and operator classes in an ON CONFLICT target are not supported"
            )
        if element.name is not None:
            columns = item_column(target, str(element.name)).everything
            walk.referenced.update(columns)
            walk.decides(columns)
        else:
            deciding(element.expr, level, walk)
    deciding(infer.whereClause, level, walk)


def _do_update(clause: Any, target: RangeItem, parent: Level | None, walk: Walk) -> None:
    relation = target.relation
    if relation is None:
        raise StatementDenied("only catalogue relations can be written")
    alias = target.name if target.aliased else None
    use = RelationUse(relation.schema, relation.name, alias, Action.UPDATE, relation.relkind)
    walk.relations[use] = None
    # `excluded` holds values proposed for the target's columns: reading it counts as reading
    # the target's columns, never as less
    excluded = RangeItem("excluded", target.columns, relation, aliased=True)
    level = Level(parent, items=[target, excluded])
    write_columns(target, set_list(clause.targetList, level, walk), walk)
    deciding(clause.whereClause, level, walk)
