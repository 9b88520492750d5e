"""The HTTP door to the watch: alerts and suspensions, for the security roles only.

`GET /v1/alerts` lists alerts (newest first, keyset cursor), `POST /v1/alerts/{id}/acknowledge`
acknowledges one with a note, `GET /v1/suspensions` lists the active suspensions and
`POST /v1/suspensions/{principal}/lift` lifts one with a note. Authorisation mirrors
`/v1/audit`: only principals holding a role of `detection.security_roles` are served, and every
attempt after authentication, refused or served, is audited before the answer leaves (fail
closed: no record, no answer). A change (acknowledge, lift) and its audit record commit
together: if the record cannot be written, the change is rolled back. An officer's note is kept
in the watch's tables only; its audit record keeps the note's length. Nothing a client sent is
repeated in a record or a message unless it is a plain identifier.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy.audit.record import AuditRecord, Outcome
from proxy.audit.search import AuditSearchStore, Searcher, parse_moment, search_record
from proxy.errors import BadRequest, ProxyError
from proxy.http.audit import audit_store, require_roles
from proxy.http.encode import json_response
from proxy.http.keys import SETTINGS, WATCH_STORE
from proxy.http.query import authenticate, parse_json_object, read_body
from proxy.identity.principals import Principal
from proxy.watch.alerts_read import (
    DEFAULT_LIMIT,
    NOTE_MAX_CHARS,
    AlertQuery,
    InvalidAlertQuery,
    acknowledge,
    alert_json,
    list_alerts,
)
from proxy.watch.model import Suspension
from proxy.watch.suspensions import active_suspensions, lift, measure_record

routes = web.RouteTableDef()

LIST_PARAMETERS = ("status", "rule", "actor", "severity", "since", "until", "limit", "cursor")
PRINCIPAL_NAME_MAX = 200  # any printable name: principals.toml and JWT subjects are free text


class NotFound(ProxyError):
    """No alert with that id, or no active suspension of that principal."""

    sqlstate = "42704"  # undefined_object
    http_status = 404


@dataclass
class Attempt:
    """One request to the watch, as its audit record keeps it (filled in as it goes)."""

    principal: Principal
    client: str | None
    kind: str
    started: datetime
    target: str = "?"
    alert_id: str | None = None
    rule: str | None = None
    extra: dict[str, Any] | None = None  # a listing's criteria; a measure's note length
    rows: int | None = None


Act = Callable[[Any, Attempt], Awaitable[Any]]  # (connection, attempt) -> the answer's body


@routes.get("/v1/alerts")
async def alerts_list(request: web.Request) -> web.Response:
    async def act(conn: Any, attempt: Attempt) -> Any:
        query = _alert_query(request, attempt)
        alerts, cursor = await list_alerts(conn, query)
        attempt.rows = len(alerts)
        return {"alerts": [alert_json(alert) for alert in alerts], "next_cursor": cursor}

    return await _audited(request, "alerts_list", act)


@routes.post("/v1/alerts/{id}/acknowledge")
async def alert_acknowledge(request: web.Request) -> web.Response:
    async def act(conn: Any, attempt: Attempt) -> Any:
        alert_id = _alert_id(request.match_info["id"])
        attempt.target = attempt.alert_id = alert_id
        note = await _note(request, attempt)
        alert = await acknowledge(conn, alert_id, attempt.principal.name, note, attempt.started)
        if alert is None:
            raise NotFound(f"there is no alert {alert_id}")
        attempt.rule = alert.finding.rule
        return {"alert": alert_json(alert)}

    return await _audited(request, "alert_acknowledged", act)


@routes.get("/v1/suspensions")
async def suspensions_list(request: web.Request) -> web.Response:
    async def act(conn: Any, attempt: Attempt) -> Any:
        if request.query:
            raise BadRequest("GET /v1/suspensions takes no query parameters")
        suspensions = await active_suspensions(conn)
        attempt.rows = len(suspensions)
        return {"suspensions": [suspension_json(s) for s in suspensions]}

    return await _audited(request, "suspensions_list", act)


@routes.post("/v1/suspensions/{principal}/lift")
async def suspension_lift(request: web.Request) -> web.Response:
    async def act(conn: Any, attempt: Attempt) -> Any:
        principal = request.match_info["principal"]
        if not 0 < len(principal) <= PRINCIPAL_NAME_MAX or not principal.isprintable():
            raise BadRequest("the path does not name a principal")
        attempt.target = principal
        note = await _note(request, attempt)
        lifted = await lift(conn, principal, attempt.principal.name, note, attempt.started)
        if lifted is None:
            raise NotFound(f"principal '{principal}' is not suspended")
        attempt.alert_id, attempt.rule = lifted.alert_id, lifted.rule
        return {"suspension": suspension_json(lifted)}

    return await _audited(request, "suspension_lifted", act)


async def _audited(request: web.Request, kind: str, act: Act) -> web.Response:
    principal = authenticate(request)
    store = _watch_store(request)
    attempt = Attempt(principal, request.remote, kind, datetime.now(UTC))
    try:
        _may_watch(request, principal)
        async with store.connection() as conn, conn.transaction():
            body = await act(conn, attempt)
            await store.write(_record(request, attempt))  # before the change commits
    except ProxyError as exc:
        written = await store.write(_record(request, attempt, exc))
        exc.audit_id = written.id  # the refusal names its record
        raise
    except Exception:  # a failure of any other kind: on record too, then answered as one
        failure = ProxyError("internal error: the request to the watch failed")
        await store.write(_record(request, attempt, failure))
        raise
    return json_response(body)


def _record(request: web.Request, attempt: Attempt, error: ProxyError | None = None) -> AuditRecord:
    instance = request.app[SETTINGS].proxy.instance
    who = attempt.principal
    if attempt.kind.endswith("_list"):  # a read of the watch: recorded as a search is
        searcher = Searcher("http", who.name, who.roles, who.default_purpose, attempt.client)
        criteria = attempt.extra or {}
        return search_record(
            searcher,
            instance,
            criteria,
            attempt.started,
            kind=attempt.kind,
            rows=attempt.rows,
            error=error,
        )
    record = measure_record(
        instance,
        attempt.started,
        who.name,
        who.roles,
        attempt.kind,
        attempt.target,
        attempt.alert_id,
        attempt.rule,
    )
    outcome: Outcome = "served"
    if error is not None:
        outcome = "denied" if error.http_status < 500 else "failed"
    return replace(
        record,
        door="http",
        client=attempt.client,
        duration_ms=(datetime.now(UTC) - attempt.started).total_seconds() * 1000,
        outcome=outcome,
        sqlstate=None if error is None else error.sqlstate,
        reason=None if error is None else error.message,
        extra={**record.extra, **(attempt.extra or {})},
    )


def _watch_store(request: web.Request) -> AuditSearchStore:
    return audit_store(request, WATCH_STORE, "alerts")


def _may_watch(request: web.Request, principal: Principal) -> None:
    allowed = request.app[SETTINGS].detection.security_roles
    require_roles(request, principal, allowed, "alerts and suspensions", "detection.security_roles")


def _alert_query(request: web.Request, attempt: Attempt) -> AlertQuery:
    names = [name for name, _ in request.query.items()]
    attempt.extra = {"filter": {"parameters": sorted(set(names))}}  # names, not values
    if set(names) - set(LIST_PARAMETERS):
        raise BadRequest(f"unknown query parameter: expected only {', '.join(LIST_PARAMETERS)}")
    if len(set(names)) != len(names):
        raise BadRequest("a query parameter appears twice")
    given = request.query
    since, until, limit = given.get("since"), given.get("until"), given.get("limit")
    if limit is not None and not (limit.isascii() and limit.isdigit()):
        raise InvalidAlertQuery("'limit' must be a whole number")
    query = AlertQuery(
        status=given.get("status", "open"),
        rule=given.get("rule"),
        actor=given.get("actor"),
        severity=given.get("severity"),
        since=None if since is None else parse_moment(since, "since"),
        until=None if until is None else parse_moment(until, "until"),
        limit=DEFAULT_LIMIT if limit is None else int(limit),
        cursor=given.get("cursor"),
    )
    attempt.extra = {"filter": query.described()}
    return query


def _alert_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise NotFound("the path does not name an alert (an alert id is a UUID)") from None


async def _note(request: web.Request, attempt: Attempt) -> str:
    """The body's note (optional; kept in the watch's table): only its length is audited."""
    raw = await read_body(request)
    body = parse_json_object(raw, 'a JSON object {"note": "..."}') if raw.strip() else {}
    if set(body) - {"note"}:
        raise BadRequest('expected only {"note": "..."}')
    note = body.get("note", "")
    if not isinstance(note, str):
        raise BadRequest("'note' must be a string")
    if len(note) > NOTE_MAX_CHARS:
        raise BadRequest(f"the note may hold at most {NOTE_MAX_CHARS} characters")
    attempt.extra = {"note_chars": len(note)}
    return note


def suspension_json(suspension: Suspension) -> dict[str, Any]:
    return {
        "id": suspension.id,
        "principal": suspension.principal,
        "since": suspension.since.isoformat(),
        "reason": suspension.reason,
        "alert_id": suspension.alert_id,
        "rule": suspension.rule,
        "lifted_at": None if suspension.lifted_at is None else suspension.lifted_at.isoformat(),
        "lifted_by": suspension.lifted_by,
    }
