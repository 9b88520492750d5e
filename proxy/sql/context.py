"""The collector one statement's resolution writes into.

Resolution functions return lineage values; what they find along the way (relations, functions,
whole-row references, columns used in predicates, references the rewriter may replace) is
recorded here, then frozen into the `StatementAnalysis` once the walk is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proxy.sql.catalog import CatalogSnapshot
from proxy.sql.model import BaseRef, FunctionUse, RelationUse, SourceColumn, WholeRowUse


@dataclass(slots=True)
class Walk:
    """Mutable state of one analysis; never shared between statements or threads."""

    catalog: CatalogSnapshot
    search_path: tuple[str, ...]
    relations: dict[RelationUse, None] = field(default_factory=dict)  # ordered set
    functions: dict[FunctionUse, None] = field(default_factory=dict)
    whole_rows: dict[WholeRowUse, None] = field(default_factory=dict)
    base_refs: dict[int, BaseRef] = field(default_factory=dict)
    implicit: set[SourceColumn] = field(default_factory=set)
    referenced: set[SourceColumn] = field(default_factory=set)
    written: set[SourceColumn] = field(default_factory=set)
    copied: set[SourceColumn] = field(default_factory=set)  # values written into a table
    visited: set[tuple[str, int]] = field(default_factory=set)  # see coverage.py

    def decides(self, columns: frozenset[SourceColumn]) -> None:
        """Record columns that decide rows, order or branches somewhere in the statement."""
        self.implicit.update(columns)
