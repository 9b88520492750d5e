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

from collections.abc import Awaitable, Callable
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
from proxy.http.query import authenticate, parse_json_object, read_body
from proxy.identity.principals import Principal

routes = web.RouteTableDef()

TEXT_FILTERS = ("principal", "role", "purpose", "table", "column", "decision", "outcome")
SUBJECT_PARAMETERS = ("iin", "bin", "subject")
PARAMETERS = (*TEXT_FILTERS, "since", "until", "limit", "cursor", *SUBJECT_PARAMETERS)


@routes.get("/v1/audit")
async def audit_search(request: web.Request) -> web.Response:
    async def criteria() -> dict[str, str]:
        return _query_values(request)

    return await _search(request, criteria, sorted(set(request.query)))


@routes.post("/v1/audit/search")
async def audit_search_posted(request: web.Request) -> web.Response:
    """The same search with its criteria in a JSON body, so an IIN never sits in a URL (which
    reverse proxies and browsers keep in their logs and histories)."""

    async def criteria() -> dict[str, str]:
        raw = await read_body(request)
        return _body_values(parse_json_object(raw, "a JSON object of search criteria"))

    return await _search(request, criteria, [])


async def _search(
    request: web.Request,
    read_criteria: Callable[[], Awaitable[dict[str, str]]],
    names: list[str],
) -> web.Response:
    principal = authenticate(request)
    store = _audit_store(request)
    searcher = Searcher(
        "http", principal.name, principal.roles, principal.default_purpose, request.remote
    )
    instance = request.app[SETTINGS].proxy.instance
    started = datetime.now(UTC)
    criteria: dict[str, Any] = {"parameters": names}  # names, not values
    try:
        _may_search(request, principal)
        given = await read_criteria()
        criteria = {"parameters": sorted(given)}
        search = await _search_filter(request, principal, store, given)
        criteria = search.described()
        async with store.connection() as conn:
            page = await search_records(conn, search)
    except ProxyError as exc:
        written = await store.write(search_record(searcher, instance, criteria, started, error=exc))
        exc.audit_id = written.id  # the refusal names its record
        raise
    except Exception:  # a failure of any other kind: on record too, then answered as one
        failure = ProxyError("internal error: the search failed")
        await store.write(search_record(searcher, instance, criteria, started, error=failure))
        raise
    rows = len(page.records)
    await store.write(search_record(searcher, instance, criteria, started, rows=rows))
    cursor = None if page.next_cursor is None else page.next_cursor.encode()
    return json_response(
        {"records": [record.to_json() for record in page.records], "next_cursor": cursor}
    )


def _audit_store(request: web.Request) -> AuditSearchStore:
    return audit_store(request, AUDIT_STORE, "audit search")


def _may_search(request: web.Request, principal: Principal) -> None:
    allowed = request.app[SETTINGS].audit.search_roles
    require_roles(request, principal, allowed, "searching the audit trail", "audit.search_roles")


def audit_store(
    request: web.Request, key: web.AppKey[AuditSearchStore], what: str
) -> AuditSearchStore:
    """The store `what` reads and records through; refused (AuditUnavailable) rather than
    answered when there is none, since nobody would audit the answer."""
    store = request.app.get(key)
    if store is None:
        raise AuditUnavailable(f"{what} is not available: this proxy has no audit store")
    return store


def require_roles(
    request: web.Request,
    principal: Principal,
    allowed: tuple[str, ...],
    what: str,
    setting: str,
) -> None:
    """Refuse a suspended principal, and one holding none of the `allowed` roles."""
    request.app[PIPELINE].admit(principal)  # a suspended officer neither reads nor acts
    if not set(principal.roles) & set(allowed):
        raise AccessDenied(f"{what} needs one of the roles {', '.join(allowed)} ({setting})")


async def _search_filter(
    request: web.Request, principal: Principal, store: AuditSearchStore, given: dict[str, str]
) -> SearchFilter:
    criterion = SubjectCriterion(given.get("iin"), given.get("bin"), given.get("subject"))
    pipeline = request.app[PIPELINE]
    # the identifier is looked up with the searcher's own database role: what it may read
    role = pipeline.database_role(principal.roles)
    subjects = await hmacs_for(
        criterion,
        pipeline.engine.catalogue,
        store.subject_hmac,
        lambda: request.app[UPSTREAM].connection(role),
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


def _query_values(request: web.Request) -> dict[str, str]:
    """Each known parameter at most once; an unknown one is refused (not repeated back)."""
    names = [name for name, _ in request.query.items()]
    _known(names, "query parameter")
    if len(set(names)) != len(names):
        raise BadRequest("a query parameter appears twice")
    return dict(request.query)


def _body_values(body: dict[str, Any]) -> dict[str, str]:
    """A posted search's criteria as the query string gives them: text, or a whole number for
    `limit`."""
    _known(list(body), "search criterion")
    values: dict[str, str] = {}
    for name, value in body.items():
        if name == "limit" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise BadRequest(f"'{name}' must be a string")
        values[name] = value
    return values


def _known(names: list[str], what: str) -> None:
    if set(names) - set(PARAMETERS):
        raise BadRequest(f"unknown {what}: expected only {', '.join(PARAMETERS)}")


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit():
        raise InvalidSearch("'limit' must be a whole number")
    return int(text)
