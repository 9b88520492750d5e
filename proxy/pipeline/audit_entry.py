"""The audit record of one statement, served or refused, as the pipeline knows it (pure).

Built from the request, the plan (when the statement got that far), the outcome or the error,
and the audit keys that turn parameters and data subjects into keyed fingerprints. Nothing
raw goes in: the SQL is normalised (literals as `$n`, comments cut) only when the guard
accepted it, otherwise only a keyed fingerprint of its text is kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from proxy.audit.keys import AuditKeys
from proxy.audit.record import AuditRecord, GapFinding, Outcome
from proxy.audit.sink import AuditSink
from proxy.errors import AccessDenied, PrincipalSuspended, ProxyError
from proxy.lru import LruCache
from proxy.pipeline.output_masks import CatalogueGap
from proxy.pipeline.plan import StatementPlan
from proxy.pipeline.request import QueryRequest
from proxy.sql.errors import SqlRejected
from proxy.sql.guard import SqlLimits, parse_statements
from proxy.sql.normalize import NormalizedStatement, normalize_statement
from proxy.sql.templates import Template, templated

NORMALIZED_KEPT = 4096
SERVED: Outcome = "served"


@dataclass(frozen=True)
class Timing:
    at: datetime  # when the statement was received (UTC)
    duration_ms: float


@dataclass(frozen=True)
class Served:
    """What a served statement returned, as the audit needs it."""

    rows: int
    subjects: frozenset[tuple[str, str]]  # (subject table, key)
    subjects_determined: bool
    gaps: tuple[CatalogueGap, ...]


@dataclass(frozen=True)
class AuditTrail:
    """Where the pipeline's records go: made by `entries`, made durable by `sink`."""

    entries: AuditEntries
    sink: AuditSink


class AuditEntries:
    """Makes records; remembers the normalised text of statements seen recently."""

    def __init__(self, instance: str, keys: AuditKeys, subject_cap: int) -> None:
        self._instance = instance
        self._keys = keys
        self._subject_cap = subject_cap
        self._normalized: LruCache[str | Template, NormalizedStatement] = LruCache(NORMALIZED_KEPT)

    def served(
        self, request: QueryRequest, plan: StatementPlan, served: Served, timing: Timing
    ) -> AuditRecord:
        subjects = sorted(self._keys.subject_hmac(of, key) for of, key in served.subjects)
        return self._record(
            request,
            timing,
            kind=plan.kind,
            plan=plan,
            rows=served.rows,
            outcome=SERVED,
            error=None,
            subjects=tuple(subjects[: self._subject_cap]),
            subject_count=len(subjects) if served.subjects_determined else None,
            gaps=tuple(
                GapFinding(column, entity, count)
                for gap in served.gaps
                for column in gap.columns
                for entity, count in gap.findings
            ),
        )

    def refused(
        self,
        request: QueryRequest,
        error: ProxyError,
        timing: Timing,
        plan: StatementPlan | None = None,
    ) -> AuditRecord:
        denied = error.sqlstate == "42501" or error.http_status in (400, 401, 403)
        return self._record(
            request,
            timing,
            kind=plan.kind if plan is not None else self._kind_of(request.sql),
            plan=plan,
            rows=None,
            outcome="denied" if denied else "failed",
            error=error,
            subjects=(),
            subject_count=0,
            gaps=(),
            extra=_refusal_extra(error),
        )

    def _record(
        self,
        request: QueryRequest,
        timing: Timing,
        *,
        kind: str,
        plan: StatementPlan | None,
        rows: int | None,
        outcome: Outcome,
        error: ProxyError | None,
        subjects: tuple[str, ...],
        subject_count: int | None,
        gaps: tuple[GapFinding, ...],
        extra: dict[str, Any] | None = None,
    ) -> AuditRecord:
        normalized = self._normalize(request.sql)
        principal = request.principal
        app = principal.name.partition(":")[0] if ":" in principal.name else None
        return AuditRecord(
            id=str(uuid.uuid4()),
            instance=self._instance,
            at=timing.at,
            door=request.door,
            principal=principal.name,
            app=app,
            roles=tuple(principal.roles),
            purpose=request.purpose or None,
            client=request.client_address,
            kind=kind,
            sql=normalized.text if normalized is not None else None,
            fingerprint=(
                normalized.fingerprint
                if normalized is not None
                else self._keys.param_fingerprint(request.sql)
            ),
            params=tuple(self._keys.param_fingerprint(p) for p in request.params),
            access=plan.access if plan is not None else (),
            row_filters=plan.row_filtered if plan is not None else (),
            rows=rows,
            duration_ms=round(timing.duration_ms, 3),
            outcome=outcome,
            sqlstate=error.sqlstate if error is not None else None,
            reason=error.message if error is not None else None,
            subjects=subjects,
            subject_count=subject_count,
            gaps=gaps,
            extra=extra or {},
        )

    def _normalize(self, sql: str) -> NormalizedStatement | None:
        """The normalised text, or None when the guard refuses the text (the parser's C code
        must not see it) or it does not parse. Texts that differ only in their literals
        normalise alike (`$n` for each literal, the fingerprint ignores them): they share
        their template's entry, so a simple-protocol client's texts are parsed once."""
        split = templated(sql, SqlLimits().max_length)
        key = sql if split is None else split.template
        normalized = self._normalized.get(key)
        if normalized is None:  # failures are not kept: they are rare, and cheap to redo
            try:
                parse_statements(sql, SqlLimits())
                normalized = normalize_statement(sql)
            except (SqlRejected, ValueError):
                return None
            self._normalized.put(key, normalized)
        return normalized

    def _kind_of(self, sql: str) -> str:
        normalized = self._normalize(sql)
        if normalized is None:
            return "unparsed"
        first = normalized.text.split(None, 1)[0].lower() if normalized.text else ""
        return first if first.isalpha() else "other"


def _refusal_extra(error: ProxyError) -> dict[str, Any]:
    """What a refusal's record adds: the tables the refused statement named (for rules such
    as outside_category), and the suspension that refused it (not probing: a measure's echo)."""
    extra: dict[str, Any] = {}
    if isinstance(error, AccessDenied) and error.tables:
        extra["tables"] = list(error.tables)
    if isinstance(error, PrincipalSuspended) and error.suspension_id is not None:
        extra["suspension"] = error.suspension_id
    return extra
