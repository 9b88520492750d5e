"""The entry of SQL analysis: text in, one `StatementAnalysis` per statement out.

Sits right after a door has the client's SQL and before the policy decides: guard and parse,
check the statement allowlist, resolve every name against the catalogue snapshot, and summarise
how each column is used. It raises a `SqlRejected` for anything it will not analyse; it never
decides what a role may see.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from proxy.errors import ProxyError
from proxy.sql.catalog import CatalogSnapshot
from proxy.sql.context import Walk
from proxy.sql.coverage import check_coverage
from proxy.sql.dml import delete, insert, update
from proxy.sql.errors import StatementDenied, StatementTooComplex
from proxy.sql.guard import ParsedStatement, SqlLimits, parse_statements
from proxy.sql.model import Action, ColumnUse, Kind, OutputColumn, StatementAnalysis, Usage
from proxy.sql.select import select_outputs
from proxy.sql.statements import classify
from proxy.sql.targets import Outputs

DEFAULT_SEARCH_PATH = ("public",)
DEFAULT_LIMITS = SqlLimits()

_ACTIONS = {
    Kind.SELECT: Action.SELECT,
    Kind.INSERT: Action.INSERT,
    Kind.UPDATE: Action.UPDATE,
    Kind.DELETE: Action.DELETE,
}


def analyze_sql(
    sql: str,
    catalog: CatalogSnapshot,
    *,
    limits: SqlLimits = DEFAULT_LIMITS,
    search_path: tuple[str, ...] = DEFAULT_SEARCH_PATH,
) -> tuple[tuple[ParsedStatement, StatementAnalysis], ...]:
    """Parse `sql` and analyse each statement; the first refused statement raises."""
    parsed = parse_statements(sql, limits)
    return tuple((p, analyze_statement(p, catalog, search_path=search_path)) for p in parsed)


def analyze_statement(
    parsed: ParsedStatement,
    catalog: CatalogSnapshot,
    *,
    search_path: tuple[str, ...] = DEFAULT_SEARCH_PATH,
) -> StatementAnalysis:
    """Analyse one parsed statement against `catalog`."""
    classified = classify(parsed.stmt)
    action = _ACTIONS.get(classified.kind)
    if action is None:
        return StatementAnalysis(classified.kind, None, setting=classified.setting)
    walk = Walk(catalog, search_path)
    try:
        outputs = _resolve(parsed.stmt, walk)
        check_coverage(parsed.stmt, walk)
    except RecursionError:  # the guard's depth bound should prevent this; fail closed anyway
        raise StatementTooComplex("statement is nested too deeply to analyse") from None
    except ProxyError:
        raise
    except Exception as exc:  # an analyser bug must refuse the statement, never pass it
        # only the type: a message could quote literals from the SQL
        raise StatementDenied(f"could not analyse the statement ({type(exc).__name__})") from exc
    return _summary(classified.kind, action, walk, outputs)


def _resolve(stmt: Any, walk: Walk) -> Outputs:
    if isinstance(stmt, ast.InsertStmt):
        return insert(stmt, walk)
    if isinstance(stmt, ast.UpdateStmt):
        return update(stmt, walk)
    if isinstance(stmt, ast.DeleteStmt):
        return delete(stmt, walk)
    return select_outputs(stmt, None, walk)


def _summary(kind: Kind, action: Action, walk: Walk, outputs: Outputs) -> StatementAnalysis:
    columns = [OutputColumn(name, lin.direct, lin.implicit, lin.as_is) for name, lin in outputs]
    return StatementAnalysis(
        kind=kind,
        action=action,
        relations=tuple(walk.relations),
        columns=_column_uses(walk, columns),
        whole_rows=tuple(walk.whole_rows),
        functions=tuple(walk.functions),
        outputs=tuple(columns),
        base_refs=tuple(walk.base_refs[k] for k in sorted(walk.base_refs)),
    )


def _column_uses(walk: Walk, outputs: list[OutputColumn]) -> tuple[ColumnUse, ...]:
    by_usage = {
        Usage.PROJECTED: {c for out in outputs for c in out.as_is},
        Usage.EXPRESSION: {c for out in outputs for c in out.direct - out.as_is} | walk.copied,
        Usage.IMPLICIT: walk.implicit | {c for out in outputs for c in out.implicit},
        Usage.WRITTEN: walk.written,
    }
    used = set().union(*by_usage.values())
    by_usage[Usage.DISCARDED] = walk.referenced - used
    return tuple(
        ColumnUse(c.schema, c.table, c.column, usage)
        for usage, cols in by_usage.items()
        for c in sorted(cols)
    )
