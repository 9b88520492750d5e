"""The names a join exposes: USING/NATURAL merging and join aliases (research §2.5.2).

`a JOIN b USING (id)` exposes one merged `id` to unqualified names and `*`, while `a.id` and
`b.id` stay reachable; `(a JOIN b) AS j` hides `a` and `b` behind the name `j`. The merged
column's value may come from either side, and the equality decides which rows pair up.
"""

from __future__ import annotations

from typing import Any

from proxy.sql.context import Walk
from proxy.sql.errors import StatementDenied
from proxy.sql.lineage import Lineage
from proxy.sql.scope import Columns, RangeItem


def join_items(
    node: Any, left: list[RangeItem], right: list[RangeItem], walk: Walk
) -> list[RangeItem]:
    """The items a join contributes to its level."""
    left_cols, right_cols = _visible(left), _visible(right)
    merged_names = _merged_names(node, left_cols, right_cols)
    if not merged_names and node.alias is None:
        return [*left, *right]
    merged = _merge(merged_names, left_cols, right_cols, walk)
    rest = [c for c in (*left_cols, *right_cols) if c[0] not in merged_names]
    columns: Columns = (*merged, *rest)
    if node.alias is not None:
        from proxy.sql.from_clause import rename

        alias = str(node.alias.aliasname)
        hidden = [item.hidden(keep_name=False) for item in (*left, *right)]
        return [*hidden, RangeItem(alias, rename(columns, node.alias), aliased=True)]
    hidden = [item.hidden(keep_name=True) for item in (*left, *right)]
    return [*hidden, RangeItem(None, columns, rel_visible=False)]


def _visible(items: list[RangeItem]) -> Columns:
    return tuple(col for item in items if item.cols_visible for col in item.columns)


def _merged_names(node: Any, left: Columns, right: Columns) -> list[str]:
    if node.isNatural:
        right_names = {name for name, _ in right}
        return [name for name, _ in left if name in right_names]
    return [str(name.sval) for name in node.usingClause or ()]


def _merge(names: list[str], left: Columns, right: Columns, walk: Walk) -> Columns:
    merged = []
    for name in names:
        sides = [_one(name, left), _one(name, right)]
        walk.decides(sides[0].everything | sides[1].everything)
        merged.append((name, sides[0] | sides[1]))
    return tuple(merged)


def _one(name: str, columns: Columns) -> Lineage:
    found = [lin for col, lin in columns if col == name]
    if len(found) != 1:
        raise StatementDenied(f'column "{name}" in the join is missing or ambiguous')
    return found[0]
