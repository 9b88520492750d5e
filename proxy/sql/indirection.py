"""Lineage of `(x).field`, `x[i]` and `(x).*` used as values.

`(d).iin` on a FROM item `d` selects one column of its whole row, so its lineage is that column
alone (passed as it is); any other field selection or subscript computes from its base value.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.sql.columns import item_column, node_list
from proxy.sql.context import Walk
from proxy.sql.coverage import node_key
from proxy.sql.lineage import Lineage, derived_from
from proxy.sql.scope import Level, RangeItem


def indirection(node: Any, level: Level, walk: Walk) -> Lineage:
    """The lineage of an indirection applied to a value."""
    from proxy.sql.expressions import expression

    steps = list(node.indirection)
    item = row_item(node.arg, level)
    if item is not None and steps and isinstance(steps[0], ast.String):
        base = item_column(item, str(steps[0].sval))
        walk.visited.add(node_key(node.arg))
        walk.referenced.update(base.everything)
        steps = steps[1:]
    else:
        base = expression(node.arg, level, walk)
    if not steps:
        return base
    indices: list[Lineage] = []
    for step in steps:
        if isinstance(step, ast.A_Indices):
            indices += [expression(step.lidx, level, walk), expression(step.uidx, level, walk)]
    return derived_from([base, *indices])


def row_item(node: Any, level: Level) -> RangeItem | None:
    """The FROM item a bare name denotes as a whole row, when no column has that name."""
    fields = node_list(getattr(node, "fields", None))
    if not isinstance(node, ast.ColumnRef) or len(fields) != 1:
        return None
    field = fields[0]
    if not isinstance(field, ast.String) or level.find_column(str(field.sval)) is not None:
        return None
    return level.find_item(str(field.sval))
