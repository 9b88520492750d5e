"""Prometheus metrics of one proxy instance, on a registry of its own.

A registry per application (not the library's global one) keeps several apps in one process, as
in the tests, from sharing counters. Label values are route templates and status codes, never
anything taken from a request's content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    exposition,
    generate_latest,
)

from proxy import __version__

CONTENT_TYPE = exposition.CONTENT_TYPE_LATEST


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

    def count_gaps(self, gaps: Iterable[Any]) -> None:
        """Catalogue gaps the tripwire found (`proxy.pipeline.CatalogueGap`): per unclassified
        column and entity type — names from the schema and the detector, never values."""
        for gap in gaps:
            for column in gap.columns:
                for entity, count in gap.findings:
                    self.catalogue_gaps.labels(column=column, entity=entity).inc(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
