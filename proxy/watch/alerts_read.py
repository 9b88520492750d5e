"""Reading and acknowledging stored alerts (`palata_audit.alerts`), for `GET /v1/alerts` and
the webhook outbox.

Alerts are listed newest first with a keyset cursor on (created_at, id), so a page is stable
while new alerts arrive. Acknowledging keeps the officer's note in the alerts table only: the
audit record of the acknowledgement (written by the door) keeps the note's length, never its
text. Every value a caller gives travels as a bind parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from proxy.audit.schema import SCHEMA
from proxy.errors import BadRequest, ProxyError
from proxy.watch.model import Alert, Finding

AlertStatus = Literal["open", "acknowledged", "all"]
STATUSES: tuple[str, ...] = get_args(AlertStatus)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
NOTE_MAX_CHARS = 2000

# measure (jsonb) is read as text and parsed here, whatever codecs the connection has
COLUMNS = (
    "id::text AS id, rule, severity, action, actor, window_start, window_end, bucket, "
    "measure::text AS measure, record_ids, summary, created_at, instance, acknowledged_at, "
    "acknowledged_by, note, delivery"
)


class InvalidAlertQuery(BadRequest):
    """A listing's criteria are malformed (a status, a limit, a cursor)."""

    sqlstate = "22023"  # invalid_parameter_value


class AlertAlreadyAcknowledged(ProxyError):
    """The alert was acknowledged before: the first acknowledgement and its note stand."""

    sqlstate = "55000"  # object_not_in_prerequisite_state
    http_status = 409


def alert_from_row(row: Mapping[str, Any]) -> Alert:
    finding = Finding(
        rule=row["rule"],
        severity=row["severity"],
        action=row["action"],
        actor=row["actor"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        bucket=row["bucket"],
        measure=json.loads(row["measure"]),
        record_ids=tuple(row["record_ids"]),
        summary=row["summary"],
    )
    return Alert(
        id=str(row["id"]),
        finding=finding,
        created_at=row["created_at"],
        instance=row["instance"],
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        note=row["note"],
        delivery=row["delivery"],
    )


def alert_json(alert: Alert, *, with_note: bool = True) -> dict[str, Any]:
    """An alert as the HTTP door and the webhooks show it: references and counts only."""
    finding = alert.finding
    shown: dict[str, Any] = {
        "id": alert.id,
        "rule": finding.rule,
        "severity": finding.severity,
        "action": finding.action,
        "actor": finding.actor,
        "window": {
            "start": finding.window_start.isoformat(),
            "end": finding.window_end.isoformat(),
        },
        "bucket": finding.bucket.isoformat(),
        "measure": dict(finding.measure),
        "record_ids": list(finding.record_ids),
        "summary": finding.summary,
        "created_at": alert.created_at.isoformat(),
        "instance": alert.instance,
    }
    if with_note:
        at = alert.acknowledged_at
        shown["acknowledged_at"] = None if at is None else at.isoformat()
        shown["acknowledged_by"] = alert.acknowledged_by
        shown["note"] = alert.note
        shown["delivery"] = alert.delivery
    return shown


@dataclass(frozen=True)
class AlertCursor:
    """Where the next page starts: just past the alert at (created_at, id)."""

    created_at: datetime
    id: str

    def encode(self) -> str:
        text = json.dumps([self.created_at.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, token: str) -> AlertCursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, alert_id = json.loads(raw)
            cursor = cls(datetime.fromisoformat(at), str(uuid.UUID(alert_id)))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise InvalidAlertQuery("the cursor is not one a previous page returned") from None
        if cursor.created_at.tzinfo is None:
            raise InvalidAlertQuery("the cursor is not one a previous page returned")
        return cursor


@dataclass(frozen=True)
class AlertQuery:
    """Every criterion is optional; they all must hold. Times bound `created_at`: `since`
    inclusive, `until` exclusive."""

    status: str = "open"
    rule: str | None = None
    actor: str | None = None
    severity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise InvalidAlertQuery(f"the status must be one of {', '.join(STATUSES)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidAlertQuery(f"the limit must be between 1 and {MAX_LIMIT}")
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise InvalidAlertQuery("times must carry a time zone (e.g. 2026-01-31T00:00:00Z)")

    def described(self) -> dict[str, Any]:
        """The criteria as the audit record of the listing keeps them."""
        shown = {
            "status": self.status,
            "rule": self.rule,
            "actor": self.actor,
            "severity": self.severity,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "limit": self.limit,
            "paged": self.cursor is not None or None,
        }
        return {key: value for key, value in shown.items() if value is not None}


def build_listing(query: AlertQuery) -> tuple[str, tuple[object, ...]]:
    """The SELECT for `query` (one row past the limit: is there another page?)."""
    clauses: list[str] = []
    args: list[object] = []

    def add(template: str, value: object) -> None:
        args.append(value)
        clauses.append(template.format(f"${len(args)}"))

    if query.status == "open":
        clauses.append("acknowledged_at IS NULL")
    elif query.status == "acknowledged":
        clauses.append("acknowledged_at IS NOT NULL")
    for column in ("rule", "actor", "severity"):
        value = getattr(query, column)
        if value is not None:
            add(f"{column} = {{}}", value)
    if query.since is not None:
        add("created_at >= {}", query.since)
    if query.until is not None:
        add("created_at < {}", query.until)
    if query.cursor is not None:
        after = AlertCursor.decode(query.cursor)
        args.append(after.created_at)
        add(f"(created_at, id) < (${len(args)}, {{}}::uuid)", after.id)
    args.append(query.limit + 1)
    where = " AND ".join(clauses) or "TRUE"
    sql = (
        f"SELECT {COLUMNS} FROM {SCHEMA}.alerts WHERE {where} "
        f"ORDER BY created_at DESC, id DESC LIMIT ${len(args)}"
    )
    return sql, tuple(args)


async def list_alerts(conn: Any, query: AlertQuery) -> tuple[list[Alert], str | None]:
    """A page of alerts, newest first, and the cursor of the next page (None: the last)."""
    sql, args = build_listing(query)
    rows = await conn.fetch(sql, *args)
    alerts = [alert_from_row(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    last = alerts[-1] if more else None
    return alerts, None if last is None else AlertCursor(last.created_at, last.id).encode()


async def pending_alerts(conn: Any, limit: int) -> list[Alert]:
    """Alerts whose webhook delivery is not done yet and that no sender holds (no lease, or
    one run out), oldest first: the outbox."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM {SCHEMA}.alerts WHERE delivery = 'pending' "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= now()) "
        "ORDER BY created_at, id LIMIT $1",
        limit,
    )
    return [alert_from_row(row) for row in rows]


async def acknowledge(conn: Any, alert_id: str, by: str, note: str, at: datetime) -> Alert | None:
    """Mark the alert acknowledged by `by` with `note`; None when there is no such alert,
    AlertAlreadyAcknowledged when it was acknowledged before (the first one stands)."""
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidAlertQuery(f"the note may hold at most {NOTE_MAX_CHARS} characters")
    try:
        key = uuid.UUID(alert_id)
    except ValueError:
        return None  # not an alert id at all: no such alert
    row = await conn.fetchrow(
        f"UPDATE {SCHEMA}.alerts SET acknowledged_at = $2, acknowledged_by = $3, note = $4 "
        f"WHERE id = $1 AND acknowledged_at IS NULL RETURNING {COLUMNS}",
        key,
        at,
        by,
        note,
    )
    if row is not None:
        return alert_from_row(row)
    before = await conn.fetchrow(
        f"SELECT acknowledged_at, acknowledged_by FROM {SCHEMA}.alerts WHERE id = $1", key
    )
    if before is None:
        return None
    raise AlertAlreadyAcknowledged(
        f"alert {key} was already acknowledged at {before['acknowledged_at'].isoformat()} "
        f"by {before['acknowledged_by']}"
    )
