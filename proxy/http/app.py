"""The HTTP door's application factory.

`create_app` wires the handlers to their dependencies through typed app keys; the upstream link
is passed in, already open, by whoever owns its lifetime (`serve` or the demo), so tests can run
the same app against any database.
"""

from __future__ import annotations

from aiohttp import web

from proxy.audit.search import AuditSearchStore
from proxy.audit.trail import TrailAccess
from proxy.config.settings import Settings
from proxy.http import alerts, audit, monitoring, query
from proxy.http.errors import error_middleware
from proxy.http.keys import (
    AUDIT_STORE,
    JWT_VERIFIER,
    METRICS,
    PIPELINE,
    PRINCIPALS,
    SETTINGS,
    UPSTREAM,
    WATCH_STORE,
)
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import PrincipalDirectory
from proxy.observability.metrics import Metrics
from proxy.pipeline import Pipeline
from proxy.upstream.pool import Upstream


def create_app(
    settings: Settings,
    upstream: Upstream,
    principals: PrincipalDirectory,
    pipeline: Pipeline,
    verifier: JwtVerifier | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware], client_max_size=settings.http.max_body_bytes
    )
    app[SETTINGS] = settings
    app[UPSTREAM] = upstream
    app[PRINCIPALS] = principals
    app[METRICS] = Metrics(instance=settings.proxy.instance)
    app[PIPELINE] = pipeline
    app[JWT_VERIFIER] = verifier or JwtVerifier(())  # no issuer configured: JWTs are refused
    app.add_routes(monitoring.routes)
    app.add_routes(query.routes)
    app.add_routes(audit.routes)
    return app


def attach_audit(app: web.Application, access: TrailAccess) -> None:
    """Give the app the audit trail: `GET /v1/audit` searches it, `/metrics` counts its writes."""
    app[AUDIT_STORE] = access
    app[METRICS].watch_audit(access.sink)


def attach_watch(app: web.Application, access: AuditSearchStore) -> None:
    """Give the app the watch's tables (beside the audit trail, through the same access): the
    routes `/v1/alerts` and `/v1/suspensions` exist from here on. Before the app starts."""
    app[WATCH_STORE] = access
    app.add_routes(alerts.routes)
