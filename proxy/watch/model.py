"""What the watch's parts share: a rule, its query over the audit store, what it found, the
alert a finding becomes once stored, and a principal's suspension (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
Action = Literal["alert", "suspend"]  # suspend: the alert, and the principal is suspended
Measure = Mapping[str, int | float | str]  # counts and thresholds; never personal data


@dataclass(frozen=True)
class TimeRange:
    """The audit records a run looks at: `at` in (start, end]."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class RuleQuery:
    sql: str  # one statement over schema palata_audit, with $n parameters
    args: tuple[object, ...]


@dataclass(frozen=True)
class Finding:
    """What a rule concluded about one actor: an alert once stored. `bucket` is the start of
    the rule's cooldown period the finding falls in: one alert per rule, actor and bucket, so
    evaluating the same records again (a restart, a second instance, a replay) alerts once."""

    rule: str
    severity: Severity
    action: Action
    actor: str  # a principal's name; `client:<address>` for unauthenticated attempts
    window_start: datetime
    window_end: datetime
    bucket: datetime
    measure: Measure
    record_ids: tuple[str, ...]  # audit record ids behind it (at most 50): references only
    summary: str  # one line for a person: what was seen, against which threshold

    @property
    def dedup_key(self) -> str:
        return f"{self.rule}|{self.actor}|{self.bucket.isoformat()}"


class Rule(Protocol):
    """One detection rule: a query over the audit store for a time range, and the findings
    its rows mean. `lookback` says how far before the range's start its query reads (a sliding
    window's width, a baseline's history), so that a window straddling two runs is seen whole:
    the query reads that far itself. `every` is how often it needs to run at least (a rule
    judging whole days need not run each tick): the detector lets its range grow until then."""

    @property
    def name(self) -> str: ...

    @property
    def every(self) -> timedelta: ...

    @property
    def lookback(self) -> timedelta: ...

    def query(self, span: TimeRange) -> RuleQuery: ...

    def findings(self, rows: Sequence[Mapping[str, Any]]) -> list[Finding]: ...


@dataclass(frozen=True)
class Alert:
    """A finding as stored in `palata_audit.alerts`."""

    id: str
    finding: Finding
    created_at: datetime
    instance: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    note: str | None = None  # the acknowledging officer's note: kept here, never in the audit
    delivery: str = "pending"  # pending, sent, failed, none (no webhook configured)


@dataclass(frozen=True)
class Suspension:
    """A principal's statements are refused from `since` until a security role lifts it."""

    id: str
    principal: str
    since: datetime
    reason: str  # for the refused principal: which rule, which alert; no personal data
    alert_id: str | None
    rule: str | None
    lifted_at: datetime | None = None
    lifted_by: str | None = None


class SuspensionGate(Protocol):
    """What the pipeline asks before planning a statement."""

    def suspension_of(self, principal: str) -> Suspension | None: ...


class AlertOutputs(Protocol):
    """Where new alerts go once stored: counters, webhooks. Never blocks, never raises."""

    def raised(self, alerts: Sequence[Alert]) -> None: ...
