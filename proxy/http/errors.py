"""The one place where failures become HTTP answers.

A `ProxyError` becomes its HTTP status with `{"error": {"code": SQLSTATE, "message": ...}}`;
aiohttp's own refusals (404, 405, 413, ...) get the same shape and keep their headers. Anything
else is a bug: it is logged by type only (its text could hold data) and the request is refused
with XX000, so an unexpected failure never serves a result (fail closed).
"""

from __future__ import annotations

import logging
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from proxy.errors import AuthenticationFailed, ProxyError
from proxy.http.encode import json_response
from proxy.http.keys import METRICS

log = logging.getLogger(__name__)

# Metric labels come from this fixed set, never from what a client sent.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST"})
SQLSTATE_BY_HTTP_STATUS = {413: "54000", 408: "57014"}
DROPPED_HEADERS = frozenset({hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH})


def error_body(
    code: str, message: str, audit_id: str | None = None
) -> dict[str, dict[str, str | None]]:
    """The door's error body; `audit_id` names the refused statement's audit record."""
    return {"error": {"code": code, "message": message, "audit_id": audit_id}}


def error_response(exc: ProxyError) -> web.Response:
    body = error_body(exc.sqlstate, exc.message, exc.audit_id)
    response = json_response(body, status=exc.http_status)
    if isinstance(exc, AuthenticationFailed):
        response.headers[hdrs.WWW_AUTHENTICATE] = 'Bearer realm="palata-proxy"'
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    started = time.perf_counter()
    try:
        response = await handler(request)
    except ProxyError as exc:
        metrics.denials.labels(sqlstate=exc.sqlstate).inc()
        response = error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _from_http_exception(exc)
    except Exception as exc:  # fail closed: an unexpected error refuses the request
        log.error("internal error while answering %s: %s", route, type(exc).__name__)
        response = json_response(
            error_body("XX000", "internal error: the request was refused"), status=500
        )
    method = request.method if request.method in KNOWN_METHODS else "other"
    metrics.http_requests.labels(route, method, str(response.status)).inc()
    metrics.http_seconds.labels(route).observe(time.perf_counter() - started)
    return response


def _from_http_exception(exc: web.HTTPException) -> web.Response:
    code = SQLSTATE_BY_HTTP_STATUS.get(exc.status, "XX000" if exc.status >= 500 else "08P01")
    response = json_response(error_body(code, exc.reason), status=exc.status)
    for name, value in exc.headers.items():
        if name not in DROPPED_HEADERS:
            response.headers[name] = value
    return response
