"""Prometheus metrics of one proxy instance, on a registry of its own.

A registry per application (not the library's global one) keeps several apps in one process, as
in the tests, from sharing counters. Label values are route templates, status codes, and rule
names and severities from `detection.toml`, never anything taken from a request's content.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol, get_args

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    exposition,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from proxy import __version__
from proxy.audit.sink import AuditMetrics

CONTENT_TYPE = exposition.CONTENT_TYPE_LATEST
DeliveryOutcome = Literal["sent", "failed", "dropped"]


@dataclass
class Metrics:
    instance: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        Gauge(
            "palata_build_info",
            "Build of this proxy instance",
            ["version", "instance"],
            registry=self.registry,
        ).labels(version=__version__, instance=self.instance).set(1)
        self.http_requests = Counter(
            "palata_http_requests",
            "HTTP requests answered",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "palata_http_request_seconds",
            "Time to answer an HTTP request",
            ["route"],
            registry=self.registry,
        )
        self.upstream_up = Gauge(
            "palata_upstream_up",
            "1 when the last readiness check reached the database",
            registry=self.registry,
        )
        self.catalogue_gaps = Counter(
            "palata_catalogue_gap_findings",
            "Personal data the tripwire found in columns the catalogue does not classify",
            ["column", "entity"],
            registry=self.registry,
        )
        self.denials = Counter(
            "palata_denials",
            "Requests refused, by SQLSTATE",
            ["sqlstate"],
            registry=self.registry,
        )
        self.alerts = Counter(
            "palata_alerts",
            "Alerts raised by the detection rules (counted by the instance that stored them)",
            ["rule", "severity"],
            registry=self.registry,
        )
        self.rule_failures = Counter(
            "palata_detection_rule_failures",
            "Runs of a detection rule that failed (the rule is blind until one succeeds)",
            ["rule"],
            registry=self.registry,
        )
        self.alert_deliveries = Counter(
            "palata_alert_deliveries",
            "Alerts posted to the webhooks: sent, failed (given up) or dropped (queue full)",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in get_args(DeliveryOutcome):  # shown at zero before the first alert
            self.alert_deliveries.labels(outcome=outcome)

    def watch_audit(self, sink: WatchedSink) -> None:
        """Export the audit sink's counters (read at each scrape): records made durable, in
        the store or the spool, replayed, refused, and whether the spool holds records."""
        self.registry.register(_AuditCollector(sink))

    def count_gaps(self, gaps: Iterable[Any]) -> None:
        """Catalogue gaps the tripwire found (`proxy.pipeline.CatalogueGap`): per unclassified
        column and entity type — names from the schema and the detector, never values."""
        for gap in gaps:
            for column in gap.columns:
                for entity, count in gap.findings:
                    self.catalogue_gaps.labels(column=column, entity=entity).inc(count)

    def count_alert(self, rule: str, severity: str) -> None:
        """A new alert: rule names and severities come from `detection.toml` (bounded)."""
        self.alerts.labels(rule=rule, severity=severity).inc()

    def count_rule_failure(self, rule: str) -> None:
        self.rule_failures.labels(rule=rule).inc()

    def count_delivery(self, outcome: DeliveryOutcome) -> None:
        self.alert_deliveries.labels(outcome=outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class WatchedSink(Protocol):
    metrics: AuditMetrics

    @property
    def spooling(self) -> bool: ...


AUDIT_COUNTERS = {
    "records_written": "Audit records written straight into the audit store",
    "batches_written": "Batches of audit records written into the audit store",
    "records_spooled": "Audit records made durable in the local spool (the store did not answer)",
    "batches_spooled": "Batches of audit records written to the local spool",
    "records_replayed": "Spooled audit records replayed into the audit store",
    "store_failures": "Times the audit store failed a batch (the sink then spools)",
    "records_refused": "Statements refused because their audit record could not be made durable",
}


class _AuditCollector(Collector):
    def __init__(self, sink: WatchedSink) -> None:
        self._sink = sink
        assert set(AUDIT_COUNTERS) == {f.name for f in fields(AuditMetrics)}

    def collect(self) -> Iterator[Metric]:
        for name, documentation in AUDIT_COUNTERS.items():
            family = CounterMetricFamily(f"palata_audit_{name}", documentation)
            family.add_metric([], getattr(self._sink.metrics, name))
            yield family
        spooling = GaugeMetricFamily(
            "palata_audit_spooling", "1 while audit records wait in the local spool for the store"
        )
        spooling.add_metric([], int(self._sink.spooling))
        yield spooling
