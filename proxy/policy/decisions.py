"""What the policy engine answers: a decision per column and a verdict per table.

These values leave the decide step for the rewriter (which masks, filters rows or refuses), the
audit record (which stores each column's decision and the rule behind it) and the error the
client sees (the rule text says which line of which file denied what). Rule texts name roles,
objects and purposes only, never data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import BoolExprType
from pglast.stream import RawStream

from proxy.errors import AccessDenied
from proxy.policy.literals import AttributeValue
from proxy.policy.masks import MaskOperator
from proxy.policy.row_filters import RowFilter
from proxy.policy.rules import Verdict


@dataclass(frozen=True)
class ColumnDecision:
    column: str
    decision: Verdict
    mask: MaskOperator | None  # set exactly when decision is "mask"
    rule: str  # e.g. "policy.csv line 12: collector may see public.debtors.iin masked (…) for …"


@dataclass(frozen=True)
class TableDecision:
    """The decision for one table, action and purpose, for a set of roles.

    `denied` is true when the table cannot be used at all for the action (no column is visible,
    or a write by roles that see the table masked); `reason` then says why. Rows are restricted
    to those every filter in `row_filters` accepts (no filter: all rows).
    """

    table: str
    action: str
    purpose: str
    columns: tuple[ColumnDecision, ...]
    row_filters: tuple[RowFilter, ...]
    denied: bool
    reason: str

    def column(self, name: str) -> ColumnDecision:
        for decision in self.columns:
            if decision.column == name:
                return decision
        raise KeyError(name)

    @property
    def masked(self) -> bool:
        return any(decision.decision == "mask" for decision in self.columns)

    @property
    def row_filter(self) -> RowFilter | None:
        """The row filter of a single-role decision, or None when every row is visible.

        Several roles can bring several filters, which must all hold; then this raises rather
        than let a caller read None as "all rows". `render_row_filter` handles every case."""
        if len(self.row_filters) > 1:
            raise ValueError("several row filters apply; use render_row_filter")
        return self.row_filters[0] if self.row_filters else None

    def check(self) -> None:
        """Raise AccessDenied (42501) with the reason if the table is denied."""
        if self.denied:
            raise AccessDenied(self.reason)

    def render_row_filter(self, attributes: Mapping[str, AttributeValue]) -> Any | None:
        """The AND of the row filters as a pglast node with literal values, or None (all rows).

        AccessDenied if the principal lacks an attribute a filter needs."""
        nodes = [row_filter.render(attributes) for row_filter in self.row_filters]
        if not nodes:
            return None
        if len(nodes) == 1:
            return nodes[0]
        return ast.BoolExpr(boolop=BoolExprType.AND_EXPR, args=tuple(nodes))

    def render_row_filter_sql(self, attributes: Mapping[str, AttributeValue]) -> str | None:
        node = self.render_row_filter(attributes)
        return None if node is None else str(RawStream()(node))
