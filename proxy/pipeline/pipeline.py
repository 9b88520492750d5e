"""The pipeline every statement passes through, whichever door it came in by.

identify (the door, with `resolve_purpose`) -> analyse -> decide and rewrite -> execute ->
redact. Analysis and planning are pure and cached per statement text, principal, purpose and
the policy and catalogue versions, so a repeated statement costs a dictionary lookup. Only the
rewritten statement reaches the database. Before any of it, the suspension gate (`gate`, set
by `serve` and `demo` once the watch runs) refuses every statement of a suspended principal.
The time a statement arrived comes from `clock`, which a scenario test may control.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from proxy.clock import Clock, utc_now
from proxy.config import Settings
from proxy.errors import AccessDenied, PrincipalSuspended, ProxyError
from proxy.identity.principals import Principal
from proxy.lru import LruCache
from proxy.pipeline.audit_entry import AuditTrail, Served, Timing
from proxy.pipeline.catalog import CatalogHolder
from proxy.pipeline.output_masks import CatalogueGap, OutputMasker, build_output_masker
from proxy.pipeline.plan import StatementPlan, plan_statement
from proxy.pipeline.request import QueryRequest
from proxy.pipeline.subjects import subject_keys, without_hidden
from proxy.pipeline.wire_plan import PlannedStatement, WirePlanner, plan_key
from proxy.policy import PolicyEngine
from proxy.provision import db_role_name
from proxy.sql import analyze_sql
from proxy.upstream.errors import UpstreamError
from proxy.upstream.execute import ExecutionLimits, Shapes, run_statement
from proxy.upstream.pool import Upstream
from proxy.upstream.results import ResultSet
from proxy.watch.model import SuspensionGate

log = logging.getLogger(__name__)

PLAN_CACHE_SIZE = 4096
INTERNAL_ERROR = "internal error: the statement was refused"
Started = tuple[datetime, float]  # when a statement arrived: UTC time, time.perf_counter()
STALE_CATALOG_STATES = frozenset({"42P01", "42703"})  # undefined table, undefined column


class PipelineError(ProxyError):
    """The pipeline's own invariant broke; the request is refused rather than served."""


class StaleCatalog(PipelineError):
    """The database returned another shape than the snapshot predicts: a schema change."""


@dataclass(frozen=True)
class QueryOutcome:
    result: ResultSet
    masked: tuple[bool, ...]
    gaps: tuple[CatalogueGap, ...] = ()
    subjects: frozenset[tuple[str, str]] = frozenset()  # (subject table, key) of the rows
    subjects_determined: bool = True  # False: the statement's shape hid whose rows they were
    audit_id: str | None = None  # the statement's audit record (None: audit off)


class Pipeline:
    def __init__(
        self,
        engine: PolicyEngine,
        catalog: CatalogHolder,
        upstream: Upstream,
        masker: OutputMasker,
        limits: ExecutionLimits,
        role_prefix: str | None = None,
        audit: AuditTrail | None = None,
        clock: Clock = utc_now,
        gate: SuspensionGate | None = None,
    ) -> None:
        self.gate = gate  # None: no principal is ever suspended (the watch is not running)
        self._clock = clock
        self._audit = audit
        self._engine = engine
        self._catalog = catalog
        self._upstream = upstream
        self._masker = masker
        self._limits = limits
        self._role_prefix = role_prefix
        self._shapes = Shapes()
        self._plans: LruCache[Hashable, StatementPlan] = LruCache(PLAN_CACHE_SIZE)
        self._wire = WirePlanner(engine, catalog, PLAN_CACHE_SIZE)

    @classmethod
    async def build(
        cls,
        settings: Settings,
        upstream: Upstream,
        audit: AuditTrail | None = None,
        *,
        clock: Clock = utc_now,
        gate: SuspensionGate | None = None,
    ) -> Pipeline:
        """Load the policy and the catalogue snapshot; fails at start if either is wrong.
        Without `audit`, nothing is recorded (only benchmarks and tests run so)."""
        engine = PolicyEngine.load(settings.policies.dir, settings.policies.model_path)
        masker = build_output_masker(settings.redaction, engine)
        catalog = await CatalogHolder.load(upstream)
        limits = ExecutionLimits(settings.query.statement_timeout_s, settings.query.max_rows)
        role_prefix = settings.upstream.role_prefix
        return cls(engine, catalog, upstream, masker, limits, role_prefix, audit, clock, gate)

    @property
    def engine(self) -> PolicyEngine:
        return self._engine

    @property
    def catalog(self) -> CatalogHolder:
        return self._catalog

    @property
    def masker(self) -> OutputMasker:
        return self._masker

    @property
    def clock(self) -> Clock:
        return self._clock

    def started(self) -> Started:
        """Now, as a statement's arrival is stamped: the clock's time, and perf_counter."""
        return self._clock(), time.perf_counter()

    def suspension_refusal(self, principal: Principal) -> PrincipalSuspended | None:
        """The refusal of a suspended principal's statement (a new one each time: it carries
        its own audit id), or None when the principal may go on."""
        suspension = None if self.gate is None else self.gate.suspension_of(principal.name)
        if suspension is None:
            return None
        return PrincipalSuspended(
            principal.name, suspension.since, suspension.alert_id, suspension.rule, suspension.id
        )

    def admit(self, principal: Principal) -> None:
        """Raise PrincipalSuspended when the principal is suspended."""
        refusal = self.suspension_refusal(principal)
        if refusal is not None:
            raise refusal

    async def run(self, request: QueryRequest) -> QueryOutcome:
        """Serve one statement; its audit record is durable before the result is returned —
        for a write, before the change is committed — and a refusal is recorded too."""
        attempt = _Attempt(*self.started())
        try:
            self.admit(request.principal)  # before planning: a suspended principal sees nothing
            outcome = await self._run_refreshing(request, attempt)
        except Exception as exc:
            error = exc if isinstance(exc, ProxyError) else ProxyError(INTERNAL_ERROR)
            await self._audit_refusal(request, error, attempt.plan, attempt.timing())
            raise
        if outcome.audit_id is not None or attempt.plan is None:
            return outcome  # recorded before its commit, or audit off
        return await self._record_served(request, attempt, outcome)

    async def _record_served(
        self, request: QueryRequest, attempt: _Attempt, outcome: QueryOutcome
    ) -> QueryOutcome:
        if self._audit is None or attempt.plan is None:
            return outcome
        served = Served(
            outcome.result.row_count, outcome.subjects, outcome.subjects_determined, outcome.gaps
        )
        record = self._audit.entries.served(request, attempt.plan, served, attempt.timing())
        written = await self._audit.sink.write(record)  # AuditUnavailable: withheld, refused
        return replace(outcome, audit_id=written.id)

    async def record_refusal(
        self,
        request: QueryRequest,
        error: ProxyError,
        at: datetime,
        started: float,
        plan: StatementPlan | None = None,
    ) -> None:
        """Record a statement a door refused or that failed (credentials, malformed body,
        purpose, a policy refusal, the database's error); `at` and `started` as `run` takes
        them, `plan` when the statement was planned."""
        await self._audit_refusal(request, error, plan, _Attempt(at, started).timing())

    async def _audit_refusal(
        self,
        request: QueryRequest,
        error: ProxyError,
        plan: StatementPlan | None,
        timing: Timing,
    ) -> None:
        if self._audit is None:
            return
        record = self._audit.entries.refused(request, error, timing, plan)
        try:
            written = await self._audit.sink.write(record)
        except ProxyError as failure:  # the refusal stands; say that it went unrecorded
            log.error("a refused statement could not be audited: %s", failure.message)
            return
        error.audit_id = written.id

    async def _run_refreshing(self, request: QueryRequest, attempt: _Attempt) -> QueryOutcome:
        try:
            return await self._run(request, attempt)
        except (UpstreamError, StaleCatalog) as exc:
            # the database changed since the snapshot (a table or column dropped, added or
            # renamed): reload the snapshot once, and plan and run again
            stale = isinstance(exc, StaleCatalog) or exc.sqlstate in STALE_CATALOG_STATES
            if not stale or not await self._catalog.refresh():
                raise
            self._shapes.clear()
            return await self._run(request, attempt)

    async def _run(self, request: QueryRequest, attempt: _Attempt) -> QueryOutcome:
        plan = attempt.plan = await self._plan(request)
        finished: list[QueryOutcome] = []

        async def record_before_commit(result: ResultSet) -> None:
            # a write's record is made durable while its transaction is open: a change is
            # never committed unrecorded (a failed commit leaves a record of an attempt)
            outcome = await self._outcome(result, plan)
            finished.append(await self._record_served(request, attempt, outcome))

        write = not plan.is_query and self._audit is not None
        async with self._upstream.connection(self.database_role(request.principal.roles)) as conn:
            result = await run_statement(
                conn,
                plan.sql,
                request.params,
                self._limits,
                is_query=plan.is_query,
                scrub_errors=plan.scrub_errors,
                row_bounded=plan.row_bounded,
                shapes=self._shapes,
                before_commit=record_before_commit if write else None,
            )
        return finished[0] if finished else await self._outcome(result, plan)

    async def _outcome(self, result: ResultSet, plan: StatementPlan) -> QueryOutcome:
        """The result as the client gets it (hidden subject keys off, outputs masked), with
        the subjects it held."""
        if len(result.columns) - plan.subjects.hidden != len(plan.masked_outputs):
            raise StaleCatalog("the result's columns differ from the analysed statement's")
        subjects = subject_keys(result.rows, plan.subjects)
        outcome = await self._mask_outputs(without_hidden(result, plan.subjects), plan)
        return replace(outcome, subjects=subjects, subjects_determined=plan.subjects.determined)

    async def plan_each(self, request: QueryRequest) -> tuple[PlannedStatement, ...]:
        """For the wire door, which relays statements itself: each statement of the request's
        text with its plan, or the refusal that stops it (`WirePlanner`). A suspended
        principal's text is one refused statement, whatever it holds."""
        refusal = self.suspension_refusal(request.principal)
        if refusal is not None:
            return (PlannedStatement(request.sql, None, refusal),)
        return await self._wire.plan_each(request)

    async def audit_served(
        self, request: QueryRequest, plan: StatementPlan, served: Served, started: Started
    ) -> str | None:
        """Record a statement the wire door relayed; its audit id once durable (None: audit
        off). AuditUnavailable when it cannot be made durable: the door must not release."""
        if self._audit is None:
            return None
        record = self._audit.entries.served(request, plan, served, _Attempt(*started).timing())
        return (await self._audit.sink.write(record)).id

    def database_role(self, principal_roles: Sequence[str]) -> str | None:
        """The database role statements of a principal with these roles run as (None: the
        proxy's own login, when roles are not provisioned)."""
        if self._role_prefix is None:
            return None
        roles = tuple(sorted(set(principal_roles)))
        return db_role_name(roles[0] if len(roles) == 1 else roles, self._role_prefix)

    async def _plan(self, request: QueryRequest) -> StatementPlan:
        return await self._catalog.planned(
            lambda: self._cached_plan(request), on_reload=self._shapes.clear
        )

    def _cached_plan(self, request: QueryRequest) -> StatementPlan:
        key = plan_key(request, self._engine, self._catalog)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._make_plan(request)
            self._plans.put(key, plan)
        return plan

    def _make_plan(self, request: QueryRequest) -> StatementPlan:
        snapshot = self._catalog.snapshot
        statements = analyze_sql(request.sql, snapshot)
        if len(statements) != 1:
            raise AccessDenied(
                f"the request holds {len(statements)} statements: send exactly one per request"
            )
        parsed, analysis = statements[0]
        return plan_statement(
            parsed,
            analysis,
            snapshot,
            self._engine,
            request.principal,
            request.purpose,
            self._limits.max_rows,
        )

    async def _mask_outputs(self, result: ResultSet, plan: StatementPlan) -> QueryOutcome:
        """Apply the proxy's masks, and pass the other outputs of a principal without full
        need-to-know through the tripwire."""
        masked = list(plan.masked_outputs)
        gaps: list[CatalogueGap] = []
        nothing_to_do = all(m is None for m in plan.proxy_masks) and all(
            w is None for w in plan.tripwires
        )
        if nothing_to_do or not result.rows:
            return QueryOutcome(result, plan.masked_outputs)
        columns = [list(column) for column in zip(*result.rows, strict=True)]
        for i, mask in enumerate(plan.proxy_masks):
            if mask is not None:
                columns[i] = await self._masker.mask_column(columns[i], mask)
        for i, wire in enumerate(plan.tripwires):
            if wire is None:
                continue
            columns[i], found = await self._masker.trip(columns[i])
            if found:
                masked[i] = True
                gaps.append(CatalogueGap(wire.unclassified, tuple(sorted(found.items()))))
        for gap in gaps:
            log.warning(
                "catalogue gap: personal data (%s) in values of %s, which the catalogue does "
                "not classify; redacted for this principal",
                ", ".join(f"{kind} x{n}" for kind, n in gap.findings),
                ", ".join(gap.columns),
            )
        rows = [tuple(row) for row in zip(*columns, strict=True)]
        return QueryOutcome(replace(result, rows=rows), tuple(masked), tuple(gaps))


@dataclass
class _Attempt:
    """A statement on its way: when it arrived, and its plan once made (the audit record
    names its columns)."""

    at: datetime
    started: float  # time.perf_counter() at arrival
    plan: StatementPlan | None = None

    def timing(self) -> Timing:
        return Timing(self.at, (time.perf_counter() - self.started) * 1000)
