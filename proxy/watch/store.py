"""The detector's writes to the audit store: the watch tables' creation, each rule's watermark
(`detector_state`) and new alerts (`alerts`), on a connection the caller holds (asyncpg I/O;
the DDL is in `schema`).

Everything here runs inside the engine's tick transaction, so a rule's alerts and its moved
watermark commit together or not at all. An alert is unique by its finding's `dedup_key`
(rule, actor, cooldown bucket): storing a finding again — a restart, a second instance, the
same records seen by two overlapping windows — inserts nothing and returns nothing, so only
alerts that are new reach metrics, webhooks and suspensions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson

from proxy.audit.schema import DDL_LOCK_KEY, SCHEMA
from proxy.audit.store import AUDIT_APPLICATION
from proxy.watch.model import Alert, Finding
from proxy.watch.schema import CREATE_WATCH_SCHEMA

Delivery = Literal["pending", "none"]  # pending: a webhook will post it; none: no webhook

_INSERT_ALERT = f"""
INSERT INTO {SCHEMA}.alerts (
  id, dedup_key, rule, severity, action, actor, window_start, window_end, bucket, measure,
  record_ids, summary, created_at, instance, delivery
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14, $15)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""

_CUTOFF = f"""
SELECT least(now() - $1::interval, (
  SELECT min(xact_start) - interval '1 microsecond' FROM pg_stat_activity
  WHERE datname = current_database() AND usename = current_user
    AND application_name = '{AUDIT_APPLICATION}' AND backend_xid IS NOT NULL))
"""

_ADVANCE = f"""
INSERT INTO {SCHEMA}.detector_state AS s (rule, evaluated_to, updated_at, instance, stored_to)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (rule) DO UPDATE SET evaluated_to = greatest(s.evaluated_to, excluded.evaluated_to),
  stored_to = greatest(s.stored_to, excluded.stored_to),
  updated_at = excluded.updated_at, instance = excluded.instance
"""


async def ensure_watch_schema(conn: Any) -> None:
    """Create the watch tables (idempotent). The audit schema must exist already
    (`AuditStore.ensure_schema`); the DDL lock is the audit's, so instances starting together
    neither race each other nor a partition being created."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", DDL_LOCK_KEY)
        await conn.execute(CREATE_WATCH_SCHEMA)


async def evaluated_to(conn: Any, rule: str) -> datetime | None:
    """How far `rule` has evaluated the records (on `at`); None before its first run."""
    value = await conn.fetchval(
        f"SELECT evaluated_to FROM {SCHEMA}.detector_state WHERE rule = $1", rule
    )
    return value if isinstance(value, datetime) else None


async def advance(
    conn: Any,
    rule: str,
    to: datetime,
    instance: str,
    now: datetime,
    stored_to: datetime | None = None,
) -> None:
    """Move `rule`'s watermarks to `to` (on `at`) and `stored_to` (on `stored_at`), never
    backwards."""
    await conn.execute(_ADVANCE, rule, to, now, instance, stored_to)


async def stored_to(conn: Any, rule: str) -> datetime | None:
    """How far `rule` has looked at the records' `stored_at`; None before (or before this
    watermark existed)."""
    value = await conn.fetchval(
        f"SELECT stored_to FROM {SCHEMA}.detector_state WHERE rule = $1", rule
    )
    return value if isinstance(value, datetime) else None


async def store_cutoff(conn: Any, settle: timedelta) -> datetime:
    """`stored_at` up to which records are looked at now: the store's clock (as `stored_at`
    is), less `settle`, and never past the start of an audit writer's transaction still open
    (a spool replayed in one long transaction): its records are stamped as they are inserted,
    but become visible only when it commits. Other sessions' transactions do not hold it."""
    value = await conn.fetchval(_CUTOFF, settle)
    assert isinstance(value, datetime)
    return value


async def first_late(
    conn: Any, after: datetime, until: datetime, evaluated: datetime
) -> datetime | None:
    """The earliest `at` of the records stored in (`after`, `until`] whose `at` a rule had
    already evaluated up to `evaluated`: they arrived late, and are looked at again."""
    value = await conn.fetchval(
        f"SELECT min(at) FROM {SCHEMA}.records "
        "WHERE stored_at > $1 AND stored_at <= $2 AND at <= $3",
        after,
        until,
        evaluated,
    )
    return value if isinstance(value, datetime) else None


async def store_findings(
    conn: Any, findings: Sequence[Finding], instance: str, now: datetime, delivery: Delivery
) -> list[Alert]:
    """Store each finding as an alert unless its `dedup_key` is stored already; the alerts
    that are new, in the findings' order."""
    stored: list[Alert] = []
    for finding in findings:
        alert_id = await conn.fetchval(_INSERT_ALERT, *_alert_row(finding, instance, now, delivery))
        if alert_id is not None:
            stored.append(Alert(str(alert_id), finding, now, instance, delivery=delivery))
    return stored


def _alert_row(finding: Finding, instance: str, now: datetime, delivery: str) -> tuple[Any, ...]:
    return (
        uuid.uuid4(),
        finding.dedup_key,
        finding.rule,
        finding.severity,
        finding.action,
        finding.actor,
        finding.window_start,
        finding.window_end,
        finding.bucket,
        _measure_json(finding.measure),
        list(finding.record_ids),
        finding.summary,
        now,
        instance,
        delivery,
    )


def _measure_json(measure: Mapping[str, int | float | str]) -> str:
    return orjson.dumps(dict(measure)).decode()
