"""Name scopes of one statement: FROM items per query level, CTEs, and name lookup.

Resolution builds a `Level` for each query level (research §2.5.1); a level points to its parent,
so correlated subqueries and LATERAL items see outer names. Lookup follows PostgreSQL's
`transformColumnRef`: a column name at any level beats a relation name (whole row); a qualified
name needs a relation visible by that name; CTE names are visible only inside their WITH scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proxy.sql.catalog import Relation
from proxy.sql.errors import AmbiguousColumn
from proxy.sql.lineage import Lineage

Columns = tuple[tuple[str, Lineage], ...]


@dataclass(frozen=True, slots=True)
class RangeItem:
    """One FROM item as names see it: a relation, derived table, CTE reference or join."""

    name: str | None  # alias, or the relation name; None for an unaliased join
    columns: Columns
    relation: Relation | None = None  # set for catalogue relations (whole-row records)
    aliased: bool = False
    rel_visible: bool = True  # reachable by qualified names: `d.iin`, `d.*`, `d`
    cols_visible: bool = True  # reachable by unqualified names and `*`

    def column(self, name: str) -> list[Lineage]:
        """Lineage of each column called `name` (several means ambiguous)."""
        return [lin for col, lin in self.columns if col == name]

    def hidden(self, *, keep_name: bool) -> RangeItem:
        """This item behind a join: qualified names only (USING), or nothing (aliased join)."""
        return RangeItem(
            self.name, self.columns, self.relation, self.aliased, keep_name, cols_visible=False
        )


@dataclass(frozen=True, slots=True)
class Cte:
    """A common table expression as seen by references to its name."""

    name: str
    columns: Columns


@dataclass(slots=True)
class Level:
    """One query level: its FROM items and CTEs, and the enclosing level."""

    parent: Level | None
    items: list[RangeItem] = field(default_factory=list)
    ctes: dict[str, Cte] = field(default_factory=dict)

    def find_cte(self, name: str) -> Cte | None:
        """The CTE called `name` in this or an enclosing WITH scope."""
        level: Level | None = self
        while level is not None:
            if name in level.ctes:
                return level.ctes[name]
            level = level.parent
        return None

    def find_column(self, name: str) -> Lineage | None:
        """The column `name` at the nearest level that has one (PostgreSQL's colNameToVar)."""
        level: Level | None = self
        while level is not None:
            found = [lin for item in level.items if item.cols_visible for lin in item.column(name)]
            if len(found) > 1:
                raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
            if found:
                return found[0]
            level = level.parent
        return None

    def find_item(self, name: str, schema: str | None = None) -> RangeItem | None:
        """The FROM item visible as `name` (or `schema.name`) at the nearest level."""
        level: Level | None = self
        while level is not None:
            found = [item for item in level.items if _matches(item, name, schema)]
            if len(found) > 1:
                raise AmbiguousColumn(f'table reference "{name}" is ambiguous')
            if found:
                return found[0]
            level = level.parent
        return None

    def star_items(self) -> list[RangeItem]:
        """The items `*` expands over, in FROM order."""
        return [item for item in self.items if item.cols_visible]


def _matches(item: RangeItem, name: str, schema: str | None) -> bool:
    if not item.rel_visible or item.name != name:
        return False
    if schema is None:
        return True
    # `schema.rel.col` only matches an unaliased reference to that catalogue relation
    return item.relation is not None and not item.aliased and item.relation.schema == schema
