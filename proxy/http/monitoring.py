"""Liveness, readiness and metrics: what monitoring polls (no credentials needed)."""

from __future__ import annotations

import logging

from aiohttp import web

from proxy.errors import UpstreamUnavailable
from proxy.http.encode import json_response
from proxy.http.errors import error_body
from proxy.http.keys import METRICS, SETTINGS, UPSTREAM
from proxy.observability.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Alive: the process answers. It says nothing about the database, on purpose."""
    return json_response({"status": "ok", "instance": request.app[SETTINGS].proxy.instance})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready: the upstream database answers within the configured time.

    The reason for a failure goes to the log, not to the unauthenticated caller: it names
    internal addresses.
    """
    metrics = request.app[METRICS]
    try:
        await request.app[UPSTREAM].ping()
    except UpstreamUnavailable as exc:
        metrics.upstream_up.set(0)
        log.warning("readiness check failed: %s", exc.message)
        body = error_body(exc.sqlstate, "the upstream database is unreachable (see the proxy log)")
        return json_response(body, status=503)
    metrics.upstream_up.set(1)
    return json_response({"status": "ready", "upstream": "reachable"})


@routes.get("/metrics")
async def metrics_endpoint(request: web.Request) -> web.Response:
    response = web.Response(body=request.app[METRICS].exposition())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
