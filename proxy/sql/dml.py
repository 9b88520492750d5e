"""Resolution of INSERT, UPDATE and DELETE.

Writes are reported, not judged: the target relation is recorded with its action and the written
columns as `WRITTEN`; the policy decides whether the role may write. Values copied into the
target (from VALUES, a SELECT or SET expressions) count as used in an expression, predicates as
implicit, and RETURNING columns are the statement's outputs.
"""

from __future__ import annotations

from typing import Any

from proxy.sql.assignments import set_list, write_columns
from proxy.sql.context import Walk
from proxy.sql.expressions import deciding
from proxy.sql.from_clause import add_from_clause, range_var
from proxy.sql.lineage import union
from proxy.sql.model import Action
from proxy.sql.on_conflict import on_conflict
from proxy.sql.scope import Level, RangeItem
from proxy.sql.select import select_outputs, with_clause
from proxy.sql.targets import Outputs, target_list


def insert(stmt: Any, walk: Walk) -> Outputs:
    """Resolve an INSERT; returns its RETURNING outputs."""
    scope = with_clause(stmt.withClause, None, walk)
    level = Level(scope)
    target = range_var(stmt.relation, level, walk, Action.INSERT)
    names = [str(col.name) for col in stmt.cols or ()] or [n for n, _ in target.columns]
    if stmt.selectStmt is not None:
        values = select_outputs(stmt.selectStmt, scope, walk)
        walk.copied.update(union(lin for _, lin in values).direct)
        walk.decides(union(lin for _, lin in values).implicit)
        names = names[: len(values)]
    write_columns(target, names, walk)
    on_conflict(stmt.onConflictClause, target, scope, walk)
    return _returning(_returning_list(stmt), target, level, walk)


def update(stmt: Any, walk: Walk) -> Outputs:
    """Resolve an UPDATE; returns its RETURNING outputs."""
    level = Level(with_clause(stmt.withClause, None, walk))
    target = range_var(stmt.relation, level, walk, Action.UPDATE)
    level.items.append(target)
    add_from_clause(stmt.fromClause, level, walk)
    write_columns(target, set_list(stmt.targetList, level, walk), walk)
    deciding(stmt.whereClause, level, walk)
    return _returning(_returning_list(stmt), target, level, walk)


def delete(stmt: Any, walk: Walk) -> Outputs:
    """Resolve a DELETE; returns its RETURNING outputs."""
    level = Level(with_clause(stmt.withClause, None, walk))
    target = range_var(stmt.relation, level, walk, Action.DELETE)
    level.items.append(target)
    add_from_clause(stmt.usingClause, level, walk)
    deciding(stmt.whereClause, level, walk)
    return _returning(_returning_list(stmt), target, level, walk)


def _returning_list(stmt: Any) -> Any:
    return stmt.returningClause.exprs if stmt.returningClause is not None else None


def _returning(returning: Any, target: RangeItem, level: Level, walk: Walk) -> Outputs:
    if not returning:
        return []
    if target not in level.items:
        level.items.append(target)
    # PostgreSQL 18: RETURNING old.x / new.x name the row before and after the change
    for name in ("old", "new"):
        level.items.append(
            RangeItem(name, target.columns, target.relation, aliased=True, cols_visible=False)
        )
    return target_list(returning, level, walk)
