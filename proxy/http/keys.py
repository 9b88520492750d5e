"""Typed application keys: what the HTTP handlers may reach, instead of globals."""

from __future__ import annotations

from aiohttp import web

from proxy.audit.search import AuditSearchStore
from proxy.config.settings import Settings
from proxy.identity.jwt_tokens import JwtVerifier
from proxy.identity.principals import PrincipalDirectory
from proxy.observability.metrics import Metrics
from proxy.pipeline import Pipeline
from proxy.upstream.pool import Upstream

SETTINGS = web.AppKey("settings", Settings)
UPSTREAM = web.AppKey("upstream", Upstream)
PRINCIPALS = web.AppKey("principals", PrincipalDirectory)
METRICS = web.AppKey("metrics", Metrics)
PIPELINE = web.AppKey("pipeline", Pipeline)
JWT_VERIFIER = web.AppKey("jwt_verifier", JwtVerifier)
# the audit trail for `GET /v1/audit`; set by whoever opens the store (serve), absent otherwise
AUDIT_STORE: web.AppKey[AuditSearchStore] = web.AppKey("audit_store")
# the watch's tables (alerts, suspensions) beside the audit trail, for `/v1/alerts` and
# `/v1/suspensions`; set with `attach_watch`, absent otherwise (the routes are not there either)
WATCH_STORE: web.AppKey[AuditSearchStore] = web.AppKey("watch_store")
