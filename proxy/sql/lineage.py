"""Lineage of a value: which catalogue columns flow into it, and how.

Resolution computes a `Lineage` for every expression, derived-table column and output column.
`as_is` columns pass through unchanged (a bare column reference, possibly through subqueries and
CTEs); `derived` columns reach the value through an expression; `implicit` columns decided which
rows or which branch produced it (research §2.5.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from proxy.sql.model import SourceColumn

_EMPTY: frozenset[SourceColumn] = frozenset()


@dataclass(frozen=True, slots=True)
class Lineage:
    """Where a value comes from."""

    as_is: frozenset[SourceColumn] = _EMPTY
    derived: frozenset[SourceColumn] = _EMPTY
    implicit: frozenset[SourceColumn] = _EMPTY

    @property
    def direct(self) -> frozenset[SourceColumn]:
        """Columns whose values flow into this value, changed or not."""
        return self.as_is | self.derived

    @property
    def everything(self) -> frozenset[SourceColumn]:
        """All columns this value depends on in any way."""
        return self.as_is | self.derived | self.implicit

    def derive(self) -> Lineage:
        """The lineage of an expression computed from this value."""
        return Lineage(derived=self.direct, implicit=self.implicit)

    def to_implicit(self) -> Lineage:
        """The lineage of a value used only to decide (a predicate, an ordering)."""
        return Lineage(implicit=self.everything)

    def with_implicit(self, columns: frozenset[SourceColumn]) -> Lineage:
        """This lineage, also decided by `columns`."""
        if not columns:
            return self
        return Lineage(self.as_is, self.derived, self.implicit | columns)

    def __or__(self, other: Lineage) -> Lineage:
        return Lineage(
            self.as_is | other.as_is,
            self.derived | other.derived,
            self.implicit | other.implicit,
        )


NONE = Lineage()


def union(items: Iterable[Lineage]) -> Lineage:
    """The lineage of a value that may come from any of `items` unchanged."""
    result = NONE
    for item in items:
        result = result | item
    return result


def derived_from(items: Iterable[Lineage]) -> Lineage:
    """The lineage of an expression over `items` (an operator, a function call)."""
    return union(items).derive()
