"""The masking subquery that stands in for a protected table (pure; SQL text out).

Every column keeps its name, type and typmod, so drivers that cached a row description keep
working: clear columns pass through, masks are computed in the subquery, denied columns become
NULL of their type. The row filter sits inside, and `OFFSET 0` fences it, so PostgreSQL cannot
evaluate the client's predicates on rows the filter hides (a division-by-zero oracle otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from proxy.policy import MaskOperator, TableDecision
from proxy.policy.literals import AttributeValue
from proxy.sql import Column, Relation
from proxy.sql.quoting import quote_ident, quote_qualified


def column_expression(column: Column, decision: TableDecision, nulled: frozenset[str]) -> str:
    """The SELECT item for one column under `decision`; columns in `nulled` become NULL."""
    name, typ = quote_ident(column.name), column.type_name
    verdict = decision.column(column.name)
    if column.name in nulled or verdict.decision == "deny":
        return f"NULL::{typ} AS {name}"
    if verdict.decision == "allow" or (verdict.mask and verdict.mask.applied_by_proxy):
        return name  # masked by the proxy on the way out
    if verdict.mask is MaskOperator.PARTIAL_LAST4:
        text = f"{name}::text"
        shown = (
            f"CASE WHEN length({text}) <= 4 THEN repeat('*', length({text})) "
            f"ELSE repeat('*', length({text}) - 4) || right({text}, 4) END"
        )
        return f"CAST({shown} AS {typ}) AS {name}"
    if verdict.mask is MaskOperator.YEAR_ONLY:
        return f"CAST(date_trunc('year', {name}) AS {typ}) AS {name}"
    return f"NULL::{typ} AS {name}"  # MaskOperator.NULL, and any operator added later


def masking_subquery(
    relation: Relation,
    decision: TableDecision,
    attributes: Mapping[str, AttributeValue],
    nulled: frozenset[str] = frozenset(),
    conditions: Sequence[str] = (),
) -> str:
    """`SELECT <masked columns> FROM ONLY schema.table [WHERE filter] OFFSET 0`.

    ONLY for plain tables (a child table has its own policy); a partitioned table's rows live in
    its partitions, so it is read whole."""
    items = ", ".join(column_expression(c, decision, nulled) for c in relation.columns)
    only = "ONLY " if relation.relkind == "r" else ""
    source = f"{only}{quote_qualified(relation.schema, relation.name)}"
    row_filter = decision.render_row_filter_sql(attributes)
    predicates = [f"({row_filter})"] if row_filter else []
    predicates += conditions  # leakproof copies of the client's conditions (see pushdown)
    where = f" WHERE {' AND '.join(predicates)}" if predicates else ""
    return f"SELECT {items} FROM {source}{where} OFFSET 0"
