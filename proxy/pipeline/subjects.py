"""Whose rows a statement returned or changed: subject keys carried through the rewrite.

The catalogue names each table's data-subject keys (`debtors.id` names a debtor,
`payments.debtor_id` the debtor a payment is of). For the audit trail to say whose data was
read (clauses 6.1.1, 7.2.3), the rewrite adds hidden columns that carry those keys along:

- a SELECT whose rows are the rows of its top-level FROM (no aggregation, DISTINCT or set
  operation collapses them) gets `alias.key AS "__palata_subject_<n>"` appended to its target
  list for each table reference there;
- an INSERT, UPDATE or DELETE gets `RETURNING key` for its target table's keys.

The pipeline reads the keys from those columns and strips them before anything reaches the
client. An output that is itself a subject key passed through unchanged (`SELECT id FROM
debtors`, at any depth) names its subjects too. When some table whose values reach the output is
covered by neither, the statement's subjects are `determined = False`: the audit records them
as unknown rather than as nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from pglast import ast
from pglast.enums import SetOperation

from proxy.policy.catalogue import Catalogue
from proxy.sql import BaseRef, Kind, SourceColumn, StatementAnalysis
from proxy.sql.functions import AGGREGATES
from proxy.upstream.results import ResultSet

HIDDEN_PREFIX = "__palata_subject_"
AGGREGATE_NODES = (ast.JsonObjectAgg, ast.JsonArrayAgg, ast.GroupingFunc)


@dataclass(frozen=True)
class SubjectColumn:
    of: str  # schema.table of the data subject the key names
    index: int  # the result column holding the key


@dataclass(frozen=True)
class SubjectPlan:
    columns: tuple[SubjectColumn, ...]
    hidden: int  # trailing result columns added for the audit, stripped before the client
    determined: bool  # whether `columns` cover every subject whose rows the result holds


NO_SUBJECTS = SubjectPlan((), 0, True)


Readable = Callable[[str, str], bool]  # (schema.table, column): seen in clear by the principal


@contextmanager
def carrying_subjects(
    stmt: Any, analysis: StatementAnalysis, catalogue: Catalogue, readable: Readable
) -> Iterator[SubjectPlan]:
    """Within the block, `stmt` carries hidden subject-key columns after its output columns;
    yields where they are. Only keys the principal reads in clear are carried (a masked key
    would name nobody, and PostgreSQL asks for SELECT on RETURNING columns). The tree is
    restored on leaving the block."""
    hidden = [
        (alias, key, of)
        for alias, key, of, table in _hidden_keys(stmt, analysis, catalogue)
        if readable(table, key)
    ]
    field = "targetList" if analysis.kind is Kind.SELECT else "returningClause"
    original = getattr(stmt, field)
    if hidden:
        items = tuple(
            ast.ResTarget(name=f"{HIDDEN_PREFIX}{i}", val=_as_text(_column_ref(alias, key)))
            for i, (alias, key, _) in enumerate(hidden)
        )
        setattr(stmt, field, _appended(original, items, field))
    try:
        yield _plan(analysis, catalogue, readable, hidden)
    finally:
        setattr(stmt, field, original)


def _appended(original: Any, items: tuple[Any, ...], field: str) -> Any:
    if field == "targetList":
        return (*(original or ()), *items)
    if original is None:
        return ast.ReturningClause(exprs=items)
    return ast.ReturningClause(options=original.options, exprs=(*(original.exprs or ()), *items))


def _plan(
    analysis: StatementAnalysis,
    catalogue: Catalogue,
    readable: Readable,
    hidden: list[tuple[str, str, str]],
) -> SubjectPlan:
    visible = len(analysis.outputs)
    columns = [SubjectColumn(of, visible + i) for i, (_, _, of) in enumerate(hidden)]
    covered = {of for _, _, of in hidden}
    passed_through = [
        (index, of)
        for index, of in _keys_passed_through(analysis, catalogue, readable)
        if index < visible
    ]
    columns += [SubjectColumn(of, index) for index, of in passed_through]
    covered |= {of for _, of in passed_through}
    return SubjectPlan(tuple(columns), len(hidden), _subjects_covered(analysis, catalogue, covered))


def _hidden_keys(
    stmt: Any, analysis: StatementAnalysis, catalogue: Catalogue
) -> list[tuple[str, str, str, str]]:
    """(alias, key column, subject table, table) for each key to carry, in the order added."""
    if analysis.kind is Kind.SELECT:
        if not _rows_are_from_rows(stmt):
            return []
        refs = _top_level_refs(stmt, analysis)
    elif analysis.kind in (Kind.INSERT, Kind.UPDATE, Kind.DELETE):
        refs = _write_target(stmt, analysis)
    else:
        return []
    keys = []
    for ref in refs:
        table = f"{ref.schema}.{ref.table}"
        entry = catalogue.tables.get(table)
        for subject in entry.subjects if entry is not None else ():
            keys.append((ref.alias, subject.column, subject.table, table))
    return keys


def _rows_are_from_rows(stmt: Any) -> bool:
    """Whether each row of this SELECT is one row of its FROM (nothing collapses rows)."""
    if not isinstance(stmt, ast.SelectStmt) or stmt.op != SetOperation.SETOP_NONE:
        return False
    if stmt.distinctClause or stmt.groupClause or stmt.havingClause or stmt.valuesLists:
        return False
    return not any(_aggregates(item) for item in stmt.targetList or ())


def _aggregates(node: Any) -> bool:
    """Whether `node` holds an aggregate call of this query level (not inside a subquery)."""
    if isinstance(node, ast.SubLink | ast.RangeSubselect):
        return False
    if isinstance(node, AGGREGATE_NODES):
        return True
    if isinstance(node, ast.FuncCall) and node.over is None:
        name = node.funcname[-1].sval if node.funcname else ""
        if name in AGGREGATES or node.agg_star or node.agg_distinct or node.agg_filter:
            return True
    if isinstance(node, tuple):
        return any(_aggregates(item) for item in node)
    if isinstance(node, ast.Node):
        return any(_aggregates(getattr(node, name)) for name in _fields(node))
    return False


def _top_level_refs(stmt: Any, analysis: StatementAnalysis) -> list[BaseRef]:
    """The analysed table references directly in this SELECT's FROM (joins included), whose
    aliases its target list can name."""
    locations = {ref.location: ref for ref in analysis.base_refs}
    found: list[BaseRef] = []
    pending = list(stmt.fromClause or ())
    while pending:
        item = pending.pop(0)
        if isinstance(item, ast.JoinExpr):
            if item.alias is not None:  # `(a JOIN b) AS j` hides a and b behind j
                continue
            pending += [item.larg, item.rarg]
        elif isinstance(item, ast.RangeVar) and item.location in locations:
            found.append(locations[item.location])
    return found


def _write_target(stmt: Any, analysis: StatementAnalysis) -> list[BaseRef]:
    relation = getattr(stmt, "relation", None)
    if relation is None or analysis.action is None:
        return []
    target = next((r for r in analysis.relations if r.action is analysis.action), None)
    if target is None:
        return []
    alias = relation.alias.aliasname if relation.alias is not None else relation.relname
    return [BaseRef(-1, target.schema, target.name, alias)]


def _keys_passed_through(
    analysis: StatementAnalysis, catalogue: Catalogue, readable: Readable
) -> list[tuple[int, str]]:
    """(output index, subject table) for outputs that are, unchanged, a subject key of one
    subject table (through set operations too: `SELECT id FROM debtors UNION SELECT debtor_id
    FROM payments`), read in clear."""
    found = []
    for index, output in enumerate(analysis.outputs):
        if not output.as_is or output.direct != output.as_is:
            continue
        named = {_subject_named(catalogue, readable, source) for source in output.as_is}
        of = named.pop() if len(named) == 1 else None
        if of is not None:
            found.append((index, of))
    return found


def _subject_named(catalogue: Catalogue, readable: Readable, source: SourceColumn) -> str | None:
    table = f"{source.schema}.{source.table}"
    entry = catalogue.tables.get(table)
    if entry is None or not readable(table, source.column):
        return None
    return next((s.table for s in entry.subjects if s.column == source.column), None)


def _subjects_covered(analysis: StatementAnalysis, catalogue: Catalogue, covered: set[str]) -> bool:
    """Whether every subject table whose rows' values reach the result is covered."""
    reaching = {f"{s.schema}.{s.table}" for output in analysis.outputs for s in output.direct} | {
        f"{w.schema}.{w.table}" for w in analysis.whole_rows
    }
    for table in reaching:
        entry = catalogue.tables.get(table)
        for subject in entry.subjects if entry is not None else ():
            if subject.table not in covered:
                return False
    return True


def _as_text(node: Any) -> Any:
    # as text, a key reads the same in either result format a wire client asks for (the
    # binary form of text is its UTF-8), and the audit names subjects by their text anyway
    text = ast.TypeName(names=(ast.String(sval="pg_catalog"), ast.String(sval="text")), typemod=-1)
    return ast.TypeCast(arg=node, typeName=text)


def _column_ref(alias: str, column: str) -> Any:
    return ast.ColumnRef(fields=(ast.String(sval=alias), ast.String(sval=column)))


def _fields(node: Any) -> tuple[str, ...]:
    return tuple(getattr(type(node), "__slots__", ()))


def subject_keys(rows: Sequence[Sequence[object]], plan: SubjectPlan) -> frozenset[tuple[str, str]]:
    """(subject table, key as text) of every subject the rows name."""
    return frozenset(
        (column.of, str(row[column.index]))
        for row in rows
        for column in plan.columns
        if row[column.index] is not None
    )


def without_hidden(result: ResultSet, plan: SubjectPlan) -> ResultSet:
    """The result as the client asked for it: the hidden key columns taken off."""
    if not plan.hidden:
        return result
    visible = len(result.columns) - plan.hidden
    rows = [tuple(row[:visible]) for row in result.rows] if visible else []
    return replace(result, columns=result.columns[:visible], rows=rows)
