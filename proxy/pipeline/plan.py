"""The decide-and-rewrite step: one analysed statement and a principal in, a plan out (pure).

It asks the policy engine about every relation the statement touches, refuses what the policy
refuses (a denied table, a denied column used anywhere, a free-text column used other than
projected as is), replaces each protected table reference by its masking subquery, and says
which output columns carry masked values and which must be redacted on the way out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from proxy.audit.record import ColumnAccess
from proxy.errors import AccessDenied
from proxy.identity.principals import Principal
from proxy.pipeline.masking import masking_subquery
from proxy.pipeline.pushdown import pushable_conditions
from proxy.pipeline.row_bound import row_bound
from proxy.pipeline.subjects import NO_SUBJECTS, SubjectPlan, carrying_subjects
from proxy.policy import ColumnDecision, MaskOperator, PolicyEngine, TableDecision
from proxy.policy.masks import ENTITY_OF_KIND
from proxy.sql import (
    BaseRef,
    CatalogSnapshot,
    Kind,
    ParsedStatement,
    Relation,
    SourceColumn,
    StatementAnalysis,
    Usage,
    rewrite,
)
from proxy.sql.catalog import SYSTEM_SCHEMAS

SERVED_KINDS = frozenset({Kind.SELECT, Kind.INSERT, Kind.UPDATE, Kind.DELETE})
# allowlisted statements that touch no table: the wire door passes them on as they are
SESSION_KINDS = frozenset({Kind.SET, Kind.SHOW, Kind.TRANSACTION, Kind.SESSION})
HARMLESS_USAGES = frozenset({Usage.DISCARDED})
TableKey = tuple[str, str]


@dataclass(frozen=True)
class ProxyMask:
    """A mask the proxy applies to an output column's values on the way out: `operator` on the
    personal data found in each value, or, with `entity`, on each whole value as one finding
    of that type (an identifier or name column)."""

    operator: MaskOperator
    entity: str | None = None


REPLACE_FINDINGS = ProxyMask(MaskOperator.REDACT)  # when an output's sources disagree


@dataclass(frozen=True)
class TripWire:
    """An output column reaching a principal without full need-to-know from columns the
    catalogue does not classify (`unclassified`, as schema.table.column): its values are
    scanned, and personal data found there is redacted and reported as a catalogue gap."""

    unclassified: tuple[str, ...]


@dataclass(frozen=True)
class StatementPlan:
    sql: str  # the rewritten, deparsed statement: what reaches the database
    kind: str  # select, insert, update, delete
    is_query: bool
    row_bounded: bool  # the text itself returns at most max_rows + 1 rows (see row_bound)
    masked_outputs: tuple[bool, ...]
    proxy_masks: tuple[ProxyMask | None, ...]  # per output column
    tripwires: tuple[TripWire | None, ...]  # per output column: scanned for catalogue gaps
    subjects: SubjectPlan  # where the result's data-subject keys are (hidden columns trail)
    access: tuple[ColumnAccess, ...]  # for the audit: each column touched, and its decision
    row_filtered: tuple[str, ...]  # schema.table of the tables read through a row filter
    scrub_errors: bool
    decisions: tuple[TableDecision, ...]


def plan_statement(
    parsed: ParsedStatement,
    analysis: StatementAnalysis,
    catalog: CatalogSnapshot,
    engine: PolicyEngine,
    principal: Principal,
    purpose: str,
    max_rows: int | None = None,
) -> StatementPlan:
    """The plan for one statement; with `max_rows`, a query's text is bounded to return at
    most `max_rows + 1` rows where that can be said in SQL (`row_bounded`)."""
    if analysis.kind not in SERVED_KINDS:
        raise AccessDenied(f"{analysis.kind.value} statements are not served by this door")
    try:
        decisions, writes = _decide_tables(analysis, catalog, engine, principal, purpose)
        whole_row_tables = {(w.schema, w.table) for w in analysis.whole_rows}
        _check_columns(analysis, decisions, writes, whole_row_tables)
        nulled = {key: _redacted(decisions[key]) for key in whole_row_tables if key in decisions}
        replacements = _replacements(parsed, analysis, catalog, decisions, principal, nulled)
    except AccessDenied as refusal:  # the audit record says which tables were refused
        refusal.tables = tuple(sorted({f"{u.schema}.{u.name}" for u in analysis.relations}))
        raise
    is_query = analysis.kind is Kind.SELECT
    bounding = (
        row_bound(parsed.stmt, max_rows)
        if is_query and max_rows is not None
        else nullcontext(enter_result=False)
    )

    def readable(table: str, column: str) -> bool:
        decision = decisions.get(_split(table))
        return decision is not None and decision.column(column).decision == "allow"

    carrying = carrying_subjects(parsed.stmt, analysis, engine.catalogue, readable)
    with bounding as bounded, carrying as subjects:
        sql = rewrite(parsed.stmt, analysis, replacements)
    masked = tuple(any(_hidden(decisions, s, nulled) for s in o.direct) for o in analysis.outputs)
    proxy_masks = tuple(_proxy_mask(engine, decisions, o.as_is, nulled) for o in analysis.outputs)
    watched = not engine.sees_all_personal_data(principal.roles, purpose)
    return StatementPlan(
        sql=sql,
        kind=analysis.kind.value,
        is_query=is_query,
        row_bounded=bounded,
        masked_outputs=masked,
        proxy_masks=proxy_masks,
        tripwires=tuple(
            _tripwire(engine, o.direct) if watched and by_proxy is None else None
            for o, by_proxy in zip(analysis.outputs, proxy_masks, strict=True)
        ),
        subjects=subjects,
        access=_access(analysis, decisions),
        row_filtered=tuple(sorted(d.table for d in decisions.values() if d.row_filters)),
        scrub_errors=any(_restricted(d) for d in decisions.values()),
        decisions=tuple(decisions.values()),
    )


def session_plan(parsed: ParsedStatement, analysis: StatementAnalysis) -> StatementPlan:
    """The plan of an allowlisted session statement (SET of an allowed setting, SHOW,
    transaction control, a pool's reset): the statement as deparsed, nothing masked."""
    if analysis.kind not in SESSION_KINDS:
        raise AccessDenied(f"{analysis.kind.value} statements are not session statements")
    sql = rewrite(parsed.stmt, analysis, {})
    return plain_plan(sql, analysis.kind.value, is_query=analysis.kind is Kind.SHOW)


def plain_plan(sql: str, kind: str, *, is_query: bool) -> StatementPlan:
    """A plan that touches no table: nothing to mask, no subjects, no row filter."""
    return StatementPlan(
        sql=sql,
        kind=kind,
        is_query=is_query,
        row_bounded=False,
        masked_outputs=(),
        proxy_masks=(),
        tripwires=(),
        subjects=NO_SUBJECTS,
        access=(),
        row_filtered=(),
        scrub_errors=False,
        decisions=(),
    )


def _access(
    analysis: StatementAnalysis, decisions: Mapping[TableKey, TableDecision]
) -> tuple[ColumnAccess, ...]:
    """Each column the statement touches, with what the policy decided: a written column is
    `clear` (every write decision allowed it, see `_check_columns`)."""
    seen: dict[tuple[str, str], ColumnAccess] = {}
    for use in analysis.columns:
        key = (use.schema, use.table)
        table = f"{use.schema}.{use.table}"
        if use.usage is Usage.WRITTEN:
            seen.setdefault((table, use.column), ColumnAccess(table, use.column, "clear"))
            continue
        verdict = decisions[key].column(use.column)
        if verdict.decision == "allow":
            access = ColumnAccess(table, use.column, "clear")
        elif verdict.mask is not None and verdict.mask.applied_by_proxy:
            access = ColumnAccess(table, use.column, "redacted", str(verdict.mask))
        else:
            mask = None if verdict.mask is None else str(verdict.mask)
            access = ColumnAccess(table, use.column, "masked", mask)
        if (table, use.column) not in seen or seen[(table, use.column)].decision == "clear":
            seen[(table, use.column)] = access
    return tuple(sorted(seen.values(), key=lambda a: (a.table, a.column)))


def _split(table: str) -> TableKey:
    schema, _, name = table.partition(".")
    return schema, name


def _decide_tables(
    analysis: StatementAnalysis,
    catalog: CatalogSnapshot,
    engine: PolicyEngine,
    principal: Principal,
    purpose: str,
) -> tuple[dict[TableKey, TableDecision], dict[TableKey, list[TableDecision]]]:
    """Per table, the select decision (what the principal may read of it: a written table's
    WHERE, SET expressions, conflict target and RETURNING read it too, and PostgreSQL asks for
    SELECT on those columns as well), and every write decision (an upsert both inserts and
    updates)."""
    decisions: dict[TableKey, TableDecision] = {}
    writes: dict[TableKey, list[TableDecision]] = {}
    for use in analysis.relations:
        relation = catalog.relation(use.schema, use.name)
        if relation is None:  # the analysis resolved it against this catalog; never expected
            raise AccessDenied(f"relation {use.schema}.{use.name} is not in the catalogue")
        columns = [c.name for c in relation.columns]
        decision = engine.decide(
            principal.roles, purpose, use.action.value, f"{use.schema}.{use.name}", columns
        )
        decision.check()
        key = (use.schema, use.name)
        if use.action.value != "select":
            if decision.row_filters:
                raise AccessDenied(
                    f"{use.action.value} on {use.schema}.{use.name} is refused: the principal "
                    "sees that table through a row filter, and filtered writes are not supported"
                )
            writes.setdefault(key, []).append(decision)
        if use.action.value == "select":
            decisions[key] = decision
    for key in writes.keys() - decisions.keys():
        schema, name = key
        relation = catalog.relation(schema, name)
        assert relation is not None  # checked in the loop above
        columns = [c.name for c in relation.columns]
        # not checked at table level: a write that reads nothing needs no SELECT at all
        decisions[key] = engine.decide(
            principal.roles, purpose, "select", f"{schema}.{name}", columns
        )
    return decisions, writes


def _check_columns(
    analysis: StatementAnalysis,
    decisions: Mapping[TableKey, TableDecision],
    writes: Mapping[TableKey, list[TableDecision]],
    whole_row_tables: set[TableKey],
) -> None:
    for use in analysis.columns:
        if use.usage in HARMLESS_USAGES:
            continue
        key = (use.schema, use.table)
        if use.usage is Usage.WRITTEN:  # every write action must allow the column
            for write in writes[key]:
                _refuse_denied(write.column(use.column), use.table, use.column)
            continue
        decision = decisions[key].column(use.column)
        _refuse_denied(decision, use.table, use.column)
        by_proxy = decision.mask is not None and decision.mask.applied_by_proxy
        if by_proxy and use.usage is not Usage.PROJECTED:
            if key in whole_row_tables:
                continue  # whole-row references see this column as NULL (see `nulled`)
            raise AccessDenied(
                f"column {use.table}.{use.column} is masked by the proxy on the way out "
                f"({decision.mask}: free text redacted, or pseudonyms) for this principal: it may "
                "only be selected as it is, not used in expressions, filters, joins, grouping "
                f"or sorting ({decision.rule})"
            )


def _refuse_denied(decision: ColumnDecision, table: str, column: str) -> None:
    if decision.decision == "deny":
        raise AccessDenied(f"column {table}.{column} is denied ({decision.rule})")


def _redacted(decision: TableDecision) -> frozenset[str]:
    return frozenset(c.column for c in decision.columns if c.mask and c.mask.applied_by_proxy)


def _replacements(
    parsed: ParsedStatement,
    analysis: StatementAnalysis,
    catalog: CatalogSnapshot,
    decisions: Mapping[TableKey, TableDecision],
    principal: Principal,
    nulled: Mapping[TableKey, frozenset[str]],
) -> dict[TableKey, Callable[[str], str]]:
    replacements: dict[TableKey, Callable[[str], str]] = {}
    for key in {(ref.schema, ref.table) for ref in analysis.base_refs}:
        decision = decisions[key]
        if not _restricted(decision):
            continue
        relation = catalog.relation(*key)
        assert relation is not None  # _decide_tables checked every relation
        refs = [ref for ref in analysis.base_refs if (ref.schema, ref.table) == key]
        subqueries = {
            alias: masking_subquery(
                relation,
                decision,
                principal.attributes,
                nulled.get(key, frozenset()),
                _pushable(parsed, refs, alias, relation, decision),
            )
            for alias in {ref.alias for ref in refs}
        }
        replacements[key] = subqueries.__getitem__
    return replacements


def _pushable(
    parsed: ParsedStatement,
    refs: list[BaseRef],
    alias: str,
    relation: Relation,
    decision: TableDecision,
) -> list[str]:
    """Conditions to copy inside the fence: only for an alias used by a single reference, since
    the replacement is chosen by alias and two references could sit under different WHEREs."""
    same_alias = [ref for ref in refs if ref.alias == alias]
    if len(same_alias) != 1:
        return []
    return pushable_conditions(parsed.stmt, same_alias[0], relation, decision)


def _restricted(decision: TableDecision) -> bool:
    """Whether the principal sees less than the whole table in clear."""
    return bool(decision.row_filters) or any(c.decision != "allow" for c in decision.columns)


def _hidden(
    decisions: Mapping[TableKey, TableDecision],
    source: SourceColumn,
    nulled: Mapping[TableKey, frozenset[str]],
) -> bool:
    decision = decisions.get((source.schema, source.table))
    if decision is None:
        return False
    if source.column in nulled.get((source.schema, source.table), frozenset()):
        return True
    return decision.column(source.column).decision != "allow"


def _tripwire(engine: PolicyEngine, sources: Iterable[SourceColumn]) -> TripWire | None:
    # the system catalogue describes the database, it holds no one's data (the statistics
    # views that hold values are for the policy to deny)
    unclassified = tuple(
        sorted(
            f"{s.schema}.{s.table}.{s.column}"
            for s in sources
            if s.schema not in SYSTEM_SCHEMAS
            and engine.catalogue.column(f"{s.schema}.{s.table}", s.column) is None
        )
    )
    return TripWire(unclassified) if unclassified else None


def _proxy_mask(
    engine: PolicyEngine,
    decisions: Mapping[TableKey, TableDecision],
    sources: Iterable[SourceColumn],
    nulled: Mapping[TableKey, frozenset[str]],
) -> ProxyMask | None:
    """The mask the proxy applies to an output projected as is from `sources` (several, through
    set operations); sources that disagree get findings replaced, the strictest."""
    masks = {_source_mask(engine, decisions, source, nulled) for source in sources} - {None}
    if not masks:
        return None
    return masks.pop() if len(masks) == 1 else REPLACE_FINDINGS


def _source_mask(
    engine: PolicyEngine,
    decisions: Mapping[TableKey, TableDecision],
    source: SourceColumn,
    nulled: Mapping[TableKey, frozenset[str]],
) -> ProxyMask | None:
    decision = decisions.get((source.schema, source.table))
    if decision is None or source.column in nulled.get((source.schema, source.table), ()):
        return None
    operator = decision.column(source.column).mask
    if operator is None or not operator.applied_by_proxy:
        return None
    entry = engine.catalogue.column(f"{source.schema}.{source.table}", source.column)
    entity = None if entry is None else ENTITY_OF_KIND.get(entry.kind)
    return ProxyMask(operator, entity if operator is MaskOperator.PSEUDONYM else None)
