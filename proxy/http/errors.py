"""The one place where failures become HTTP answers.

A `ProxyError` becomes its HTTP status with `{"error": {"code": SQLSTATE, "message": ...}}`.
Anything else is a bug: it is logged by type only (its text could hold data) and the request is
refused with XX000, so an unexpected failure never serves a result (fail closed).
"""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from proxy.errors import ProxyError
from proxy.http.keys import METRICS

log = logging.getLogger(__name__)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    route = request.match_info.route.resource
    route_name = route.canonical if route is not None else "unmatched"
    started = time.perf_counter()
    try:
        response = await handler(request)
    except ProxyError as exc:
        metrics.denials.labels(sqlstate=exc.sqlstate).inc()
        response = web.json_response(error_body(exc.sqlstate, exc.message), status=exc.http_status)
    except web.HTTPException as exc:
        response = web.json_response(
            error_body(_sqlstate_for_http(exc.status), exc.reason), status=exc.status
        )
    except Exception as exc:  # fail closed: an unexpected error refuses the request
        log.error("internal error while answering %s: %s", route_name, type(exc).__name__)
        response = web.json_response(
            error_body("XX000", "internal error: the request was refused"), status=500
        )
    metrics.http_requests.labels(route_name, request.method, str(response.status)).inc()
    metrics.http_seconds.labels(route_name).observe(time.perf_counter() - started)
    return response


def _sqlstate_for_http(status: int) -> str:
    if status == 413:
        return "54000"
    if status in (404, 405):
        return "08P01"
    return "XX000" if status >= 500 else "08P01"
