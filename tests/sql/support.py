"""Helpers for the SQL analysis tests: a hand-built catalogue and a one-line analysis summary."""

from __future__ import annotations

from proxy.sql import (
    Action,
    CatalogSnapshot,
    Column,
    Kind,
    Relation,
    RelationUse,
    SourceColumn,
    SqlRejected,
    StatementAnalysis,
    Usage,
    analyze_sql,
    build_snapshot,
)

_TEXT = (25, "text")
_TYPES = {
    "id": (23, "integer"),
    "debtor_id": (23, "integer"),
    "iin": (1042, "character(12)"),
    "birth_date": (1082, "date"),
    "paid_at": (1082, "date"),
    "debt_amount": (1700, "numeric(12,2)"),
    "salary": (1700, "numeric(12,2)"),
    "amount": (1700, "numeric(12,2)"),
}


def _relation(schema: str, name: str, columns: str, relkind: str = "r") -> Relation:
    cols = tuple(
        Column(col, i + 1, _TYPES.get(col, _TEXT)[0], -1, _TYPES.get(col, _TEXT)[1])
        for i, col in enumerate(columns.split())
    )
    return Relation(schema, name, relkind, cols)


def fixture_catalog() -> CatalogSnapshot:
    """The red-team fixture's tables plus a few system views, in a database called palata."""
    return build_snapshot(
        "palata",
        [
            _relation(
                "public",
                "debtors",
                "id iin full_name phone email address birth_date debt_amount notes region",
            ),
            _relation("public", "employees", "id iin full_name salary phone"),
            _relation("public", "payments", "id debtor_id paid_at amount"),
            _relation("archive", "debtors", "id iin"),
            _relation("pg_catalog", "pg_stats", "tablename attname most_common_vals", "v"),
            _relation("pg_catalog", "pg_settings", "name setting", "v"),
            _relation("pg_catalog", "pg_stat_activity", "pid query", "v"),
        ],
        functions=[("pg_catalog", "lower"), ("util", "mask_name"), ("public", "length")],
        operators=[("util", "===")],
        types=[("util", "secret")],
    )


_SHORT = {
    Usage.PROJECTED: "proj",
    Usage.EXPRESSION: "expr",
    Usage.IMPLICIT: "impl",
    Usage.WRITTEN: "wr",
    Usage.DISCARDED: "disc",
}


def summary(analysis: StatementAnalysis, catalog: CatalogSnapshot) -> str:
    """One readable line: kind, relations (`t:update`: a second write action), columns by usage
    (`t[*]`: all), functions, rows."""
    parts = [analysis.kind.value]
    if analysis.relations:
        parts.append("rel=" + ",".join(_relation_use(r, analysis.kind) for r in analysis.relations))
    for usage, short in _SHORT.items():
        used = analysis.columns_with(usage)
        if used:
            parts.append(f"{short}=" + _grouped(used, catalog))
    if analysis.functions:
        parts.append("fn=" + ",".join(f.name for f in analysis.functions))
    if analysis.whole_rows:
        parts.append("row=" + ",".join(w.table for w in analysis.whole_rows))
    return " ".join(parts)


def _grouped(columns: frozenset[SourceColumn], catalog: CatalogSnapshot) -> str:
    tables = sorted({(c.schema, c.table) for c in columns})
    groups = []
    for schema, table in tables:
        names = sorted(c.column for c in columns if (c.schema, c.table) == (schema, table))
        relation = catalog.relation(schema, table)
        everything = relation is not None and len(names) == len(relation.columns)
        groups.append(f"{table}[{'*' if everything else ','.join(names)}]")
    return "+".join(groups)


def _relation_name(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _relation_use(use: RelationUse, kind: Kind) -> str:
    """The relation's name, with `:action` for a write other than the statement's own."""
    name = _relation_name(use.schema, use.name)
    if use.action in (Action.SELECT, Action(kind.value)):
        return name
    return f"{name}:{use.action.value}"


def outcome(sql: str, catalog: CatalogSnapshot) -> str:
    """The summary of the last statement, or `DENY <sqlstate> <message>` for a refusal."""
    try:
        analyses = analyze_sql(sql, catalog)
    except SqlRejected as exc:
        return f"DENY {exc.sqlstate} {exc.message}"
    return summary(analyses[-1][1], catalog)
