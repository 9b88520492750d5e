"""The HTTP door to the audit trail: `GET /v1/audit`, for the security roles only.

It translates: query parameters become a `SearchFilter` (`proxy.audit.search`), a subject named
by IIN, BIN or key becomes its keyed HMACs (`proxy.audit.subjects`), and the page found becomes
`{"records": [...], "next_cursor": ...}`. Only principals holding a role of
`audit.search_roles` may search; every attempt after authentication, refused or served, is
itself audited before the answer leaves (fail closed: no record, no answer). An IIN in the query
never reaches a log, an error message or the search's own record (which keeps only how many
subject HMACs it stood for).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from proxy.audit.errors import AuditUnavailable
from proxy.audit.search import (
    DEFAULT_LIMIT,
    AuditSearchStore,
    Cursor,
    InvalidSearch,
    Searcher,
    SearchFilter,
    parse_moment,
    search_record,
    search_records,
)
from proxy.audit.subjects import SubjectCriterion, hmacs_for
from proxy.errors import AccessDenied, BadRequest, ProxyError
from proxy.http.encode import json_response
from proxy.http.keys import AUDIT_STORE, PIPELINE, SETTINGS, UPSTREAM
from proxy.http.query import authenticate
from proxy.identity.principals import Principal

routes = web.RouteTableDef()

TEXT_FILTERS = ("principal", "role", "purpose", "table", "column", "decision", "outcome")
SUBJECT_PARAMETERS = ("iin", "bin", "subject")
PARAMETERS = (*TEXT_FILTERS, "since", "until", "limit", "cursor", *SUBJECT_PARAMETERS)


@routes.get("/v1/audit")
async def audit_search(request: web.Request) -> web.Response:
    principal = authenticate(request)
    store = _audit_store(request)
    searcher = Searcher(
        "http", principal.name, principal.roles, principal.default_purpose, request.remote
    )
    instance = request.app[SETTINGS].proxy.instance
    started = datetime.now(UTC)
    criteria: dict[str, Any] = {"parameters": sorted(set(request.query))}  # names, not values
    try:
        _may_search(request, principal)
        search = await _search_filter(request, store)
        criteria = search.described()
        async with store.connection() as conn:
            page = await search_records(conn, search)
    except ProxyError as exc:
        written = await store.write(search_record(searcher, instance, criteria, started, error=exc))
        exc.audit_id = written.id  # the refusal names its record
        raise
    rows = len(page.records)
    await store.write(search_record(searcher, instance, criteria, started, rows=rows))
    cursor = None if page.next_cursor is None else page.next_cursor.encode()
    return json_response(
        {"records": [record.to_json() for record in page.records], "next_cursor": cursor}
    )


def _audit_store(request: web.Request) -> AuditSearchStore:
    store = request.app.get(AUDIT_STORE)
    if store is None:  # refuse rather than answer a search nobody would audit
        raise AuditUnavailable("audit search is not available: this proxy has no audit store")
    return store


def _may_search(request: web.Request, principal: Principal) -> None:
    allowed = request.app[SETTINGS].audit.search_roles
    if not set(principal.roles) & set(allowed):
        raise AccessDenied(
            f"searching the audit trail needs one of the roles {', '.join(allowed)} "
            "(audit.search_roles)"
        )


async def _search_filter(request: web.Request, store: AuditSearchStore) -> SearchFilter:
    given = _single_values(request)
    criterion = SubjectCriterion(given.get("iin"), given.get("bin"), given.get("subject"))
    subjects = await hmacs_for(
        criterion,
        request.app[PIPELINE].engine.catalogue,
        store.subject_hmac,
        lambda: request.app[UPSTREAM].connection(),
    )
    since, until, cursor = given.get("since"), given.get("until"), given.get("cursor")
    return SearchFilter(
        principal=given.get("principal"),
        role=given.get("role"),
        purpose=given.get("purpose"),
        table=given.get("table"),
        column=given.get("column"),
        decision=given.get("decision"),
        outcome=given.get("outcome"),
        since=None if since is None else parse_moment(since, "since"),
        until=None if until is None else parse_moment(until, "until"),
        subjects=subjects,
        limit=_limit(given.get("limit")),
        after=None if cursor is None else Cursor.decode(cursor),
    )


def _single_values(request: web.Request) -> dict[str, str]:
    """Each known parameter at most once; an unknown one is refused (not repeated back)."""
    names = [name for name, _ in request.query.items()]
    if set(names) - set(PARAMETERS):
        raise BadRequest(f"unknown query parameter: expected only {', '.join(PARAMETERS)}")
    if len(set(names)) != len(names):
        raise BadRequest("a query parameter appears twice")
    return dict(request.query)


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit():
        raise InvalidSearch("'limit' must be a whole number")
    return int(text)
