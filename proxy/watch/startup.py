"""The watch beside `serve` and the demo: one context that starts every part and stops them.

In order: the rules are loaded (a malformed `detection.toml` stops the start, as any policy
file does), the watch's tables are made beside the audit trail, the suspension book is loaded
and given to the pipeline (every door asks it before planning), the HTTP routes are attached,
webhooks start, and the detector ticks every `detection.interval_s` — refreshing the facts
(watch lists, assignments) from the Palata database every `FACTS_EVERY`. A rule whose action is
`suspend` suspends the principal in the tick that stores its alert, and the measure is audited.
With the audit off (benchmarks only) or `detection.enabled = false`, nothing runs, said once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from aiohttp import web

from proxy.audit.trail import TrailAccess
from proxy.config import Settings
from proxy.errors import ConfigError
from proxy.http.app import attach_watch
from proxy.identity.principals import PrincipalDirectory
from proxy.observability.metrics import Metrics
from proxy.pipeline import Pipeline
from proxy.upstream.pool import Upstream
from proxy.watch.config import DetectionPolicy, load_detection
from proxy.watch.engine import Detector
from proxy.watch.facts import parse_facts, refresh_facts
from proxy.watch.model import Alert, Finding
from proxy.watch.outputs import MonitoringOutputs
from proxy.watch.rules import BUILDERS
from proxy.watch.running import running_detector
from proxy.watch.store import ensure_watch_schema
from proxy.watch.suspensions import (
    SuspensionBook,
    measure_record,
    suspend,
    watching_suspensions,
)
from proxy.watch.webhook import sending_webhooks

log = logging.getLogger(__name__)

FACTS_EVERY_S = 300.0
WATCH_PRINCIPAL = "palata-watch"  # who takes a rule's measure, in the audit trail


@asynccontextmanager
async def running_watch(
    settings: Settings,
    access: TrailAccess | None,
    pipeline: Pipeline,
    app: web.Application,
    upstream: Upstream,
    principals: PrincipalDirectory,
    metrics: Metrics,
) -> AsyncIterator[None]:
    """Detection, alerts and suspensions for the block (see the module's docstring)."""
    if access is None or not settings.detection.enabled:
        why = "the audit is off" if access is None else "detection.enabled is false"
        log.warning("unlawful-access detection is NOT running: %s", why)
        yield
        return
    if not settings.detection_rules.is_file():
        raise ConfigError(
            f"the detection rules {settings.detection_rules} are missing: start from the "
            "product's policies/detection.toml, or name another file in detection.rules; "
            "detection.enabled = false runs without detecting unlawful access"
        )
    policy = load_detection(settings.detection_rules, BUILDERS)
    parse_facts(policy.raw)  # the watch lists and assignments are checked at start too
    async with access.connection() as conn:
        await ensure_watch_schema(conn)
    book = SuspensionBook()
    pipeline.gate = book
    attach_watch(app, access)
    detection = settings.detection
    listen_dsn = settings.audit.dsn or settings.upstream_dsn
    async with (
        watching_suspensions(book, access.connection, listen_dsn),
        sending_webhooks(detection, access.connection, metrics) as sender,
    ):
        detector = Detector(
            policy.rules,
            settings.proxy.instance,
            pipeline.clock,
            timedelta(seconds=detection.settle_s),
            outputs=MonitoringOutputs(metrics, sender),
            on_suspend=_suspending(settings, access, pipeline),
            delivery="pending" if detection.webhooks else "none",
            on_rule_failure=metrics.count_rule_failure,
        )
        refresh = _facts_refresher(policy, access, upstream, principals)
        async with running_detector(detector, access.connection, detection.interval_s, refresh):
            log.info(
                "unlawful-access detection: %d rules from %s, every %.1f s",
                len(policy.rules),
                settings.detection_rules,
                detection.interval_s,
            )
            yield


def _suspending(settings: Settings, access: TrailAccess, pipeline: Pipeline) -> Any:
    """The detector's `on_suspend`: the principal is suspended in the tick's transaction and
    the measure is audited. An unauthenticated actor (`client:<address>`) is no principal:
    its alert stands, nothing is suspended."""

    async def on_suspend(conn: Any, finding: Finding, alert: Alert) -> None:
        if finding.actor.startswith("client:"):
            return
        at = pipeline.clock()
        reason = f"rule {finding.rule}, alert {alert.id}: {finding.summary}"
        made = await suspend(conn, finding.actor, reason, alert.id, finding.rule, at)
        if made is None:  # suspended already
            return
        record = measure_record(
            settings.proxy.instance,
            at,
            WATCH_PRINCIPAL,
            (),
            "principal_suspended",
            finding.actor,
            alert.id,
            finding.rule,
        )
        await access.write(record)

    return on_suspend


def _facts_refresher(
    policy: DetectionPolicy,
    access: TrailAccess,
    upstream: Upstream,
    principals: PrincipalDirectory,
) -> Any:
    """`before_tick`: the watch lists and assignments, read again every FACTS_EVERY_S."""
    last = -FACTS_EVERY_S

    async def refresh() -> None:
        nonlocal last
        if time.monotonic() - last < FACTS_EVERY_S:
            return
        last = time.monotonic()
        async with upstream.connection() as palata, access.connection() as audit:
            counts = await refresh_facts(palata, audit, policy.raw, access.subject_hmac, principals)
        log.info(
            "watch facts: %d watch lists, %d assignments (%d not matched to a principal)",
            len(counts.watch_subjects),
            counts.assignments,
            counts.unmapped,
        )

    return refresh
