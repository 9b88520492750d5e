"""Planning for the wire door, which relays statements itself: each statement of a text with its
plan, or the refusal that stops it.

The HTTP door takes one statement a request and the pipeline runs it; a wire client sends
several statements in one Query, transaction control, allowlisted SET and SHOW, and commands
that name prepared statements and cursors. Each statement is analysed on its own: queries and
writes are decided and rewritten as in `run`, session statements pass as they are
(`session_plan`), and `DECLARE`/`PREPARE`/`FETCH`/... are planned by `wire_commands`. A text
that does not parse is one refused statement. Fully planned texts are cached like `run`'s plans,
and so are their templates (`proxy.sql.templates`): a text seen for the first time whose
template was planned gets that plan with its own literals put back, without being parsed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace

from proxy.errors import ProxyError
from proxy.lru import LruCache
from proxy.pipeline.catalog import CatalogHolder
from proxy.pipeline.plan import (
    SERVED_KINDS,
    SESSION_KINDS,
    StatementPlan,
    plan_statement,
    session_plan,
)
from proxy.pipeline.request import QueryRequest
from proxy.pipeline.wire_commands import COMMAND_TYPES, WireCommand, plan_command
from proxy.policy import PolicyEngine
from proxy.sql.analyze import DEFAULT_LIMITS, DEFAULT_SEARCH_PATH, analyze_statement
from proxy.sql.context import Walk
from proxy.sql.expressions import check_type
from proxy.sql.guard import ParsedStatement, parse_statements
from proxy.sql.templates import (
    Fillable,
    Templated,
    fillable,
    has_positional_placeholder,
    reads_alike,
    templated,
)

SERVED = frozenset(kind.value for kind in SERVED_KINDS)


@dataclass(frozen=True)
class PlannedStatement:
    """One statement of a wire-door request: its own text, and its plan or why it is refused."""

    text: str  # the client's text of this statement alone: may hold personal data
    plan: StatementPlan | None
    refusal: ProxyError | None = None
    command: WireCommand | None = None  # DECLARE, FETCH, PREPARE, EXECUTE, ... (the session's)


def plan_key(
    request: QueryRequest, engine: PolicyEngine, catalog: CatalogHolder
) -> tuple[Hashable, ...]:
    """What a plan depends on: the text, the principal, the purpose and both versions."""
    principal = request.principal
    return (
        request.sql,
        principal.roles,
        request.purpose,
        _hashable(principal.attributes),
        engine.version,
        catalog.snapshot.version,
    )


@dataclass(frozen=True)
class TemplatePlan:
    """The plan of a template, cut where its literals go (`statements`); None when texts of
    this template are planned as they are (a statement refused, or not a query or write, or
    a placeholder where a literal means something else)."""

    statements: tuple[tuple[PlannedStatement, Fillable, Fillable], ...] | None

    def filled(self, literals: Sequence[str]) -> tuple[PlannedStatement, ...] | None:
        if self.statements is None:
            return None
        return tuple(
            PlannedStatement(text.fill(literals), replace(planned.plan, sql=sql.fill(literals)))
            for planned, text, sql in self.statements
            if planned.plan is not None
        )


class WirePlanner:
    def __init__(self, engine: PolicyEngine, catalog: CatalogHolder, cache_size: int) -> None:
        self._engine = engine
        self._catalog = catalog
        self._plans: LruCache[Hashable, tuple[PlannedStatement, ...]] = LruCache(cache_size)
        self._templates: LruCache[Hashable, TemplatePlan] = LruCache(cache_size)

    async def plan_each(self, request: QueryRequest) -> tuple[PlannedStatement, ...]:
        key = plan_key(request, self._engine, self._catalog)
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        split = templated(request.sql, DEFAULT_LIMITS.max_length)
        if split is not None:
            filled = (await self._template_plan(request, split)).filled(split.literals)
            if filled is not None:
                return filled
        return await self._planned_text(request, key)

    async def _template_plan(self, request: QueryRequest, split: Templated) -> TemplatePlan:
        as_template = replace(request, sql=split.template.text)
        key = (*plan_key(as_template, self._engine, self._catalog), split.template.kinds)
        cached = self._templates.get(key)
        if cached is None:
            cached = await self._plan_template(as_template, split)
            self._templates.put(key, cached)
        return cached

    async def _plan_template(self, request: QueryRequest, split: Templated) -> TemplatePlan:
        if not reads_alike(split):  # a literal glued to its neighbour (N'x', date'2026-01-01')
            return TemplatePlan(None)
        count = len(split.literals)
        try:
            parsed = parse_statements(request.sql, DEFAULT_LIMITS)
        except ProxyError:  # a literal only the grammar's literal rules take (interval '1 day')
            return TemplatePlan(None)
        if any(has_positional_placeholder(statement.stmt) for statement in parsed):
            return TemplatePlan(None)
        planned = [await self._plan_one(request, statement) for statement in parsed]
        if not all(_fills_alike(p) for p in planned):
            return TemplatePlan(None)
        try:
            return TemplatePlan(
                tuple(
                    (
                        p,
                        fillable(p.text, count),
                        fillable(p.plan.sql, count, parenthesised=True),
                    )
                    for p in planned
                    if p.plan is not None
                )
            )
        except ValueError:  # the rewritten SQL holds a placeholder the text did not
            return TemplatePlan(None)

    async def _planned_text(
        self, request: QueryRequest, key: Hashable
    ) -> tuple[PlannedStatement, ...]:
        try:
            parsed = parse_statements(request.sql, DEFAULT_LIMITS)
        except ProxyError as exc:
            return (PlannedStatement(request.sql, None, exc),)
        planned = tuple([await self._plan_one(request, statement) for statement in parsed])
        if all(p.refusal is None for p in planned):
            self._plans.put(key, planned)
        return planned

    async def _plan_one(self, request: QueryRequest, parsed: ParsedStatement) -> PlannedStatement:
        try:
            return await self._catalog.planned(lambda: self._planned(request, parsed))
        except ProxyError as exc:
            return PlannedStatement(parsed.text, None, exc)

    def _planned(self, request: QueryRequest, parsed: ParsedStatement) -> PlannedStatement:
        if isinstance(parsed.stmt, COMMAND_TYPES):
            walk = Walk(self._catalog.snapshot, DEFAULT_SEARCH_PATH)
            planned = plan_command(
                parsed, lambda held: self._plan(request, held), lambda t: check_type(t, walk)
            )
            return PlannedStatement(parsed.text, planned.plan, command=planned.command)
        return PlannedStatement(parsed.text, self._plan(request, parsed))

    def _plan(self, request: QueryRequest, parsed: ParsedStatement) -> StatementPlan:
        snapshot = self._catalog.snapshot
        analysis = analyze_statement(parsed, snapshot)
        if analysis.kind in SESSION_KINDS:
            return session_plan(parsed, analysis)
        return plan_statement(
            parsed, analysis, snapshot, self._engine, request.principal, request.purpose
        )


def _fills_alike(planned: PlannedStatement) -> bool:
    """Whether the statement's plan holds for any literals in its placeholders' places: a
    query or write, planned, not a session command (whose values PostgreSQL reads itself)."""
    plan = planned.plan
    return (
        planned.refusal is None
        and planned.command is None
        and plan is not None
        and plan.kind in SERVED
    )


def _hashable(attributes: Mapping[str, object]) -> Hashable:
    """The principal's attributes as a cache-key part (lists become tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attributes.items()))
