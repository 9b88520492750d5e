"""Where a new alert goes once the detector has stored it: the Prometheus counter
`palata_alerts_total{rule,severity}` and the webhooks (`proxy.watch.webhook`).

`MonitoringOutputs` is the engine's `AlertOutputs`: it is called after the tick's transaction
committed, with the alerts that tick created (never a re-evaluated one), so the sum of the
counters over all instances is the number of alerts. It neither waits nor raises: a failure
here must not stop detection, and the alert stays `pending` in the store for the webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from proxy.observability.metrics import Metrics
from proxy.watch.model import Alert
from proxy.watch.webhook import AlertSender, NoWebhooks

log = logging.getLogger(__name__)


class MonitoringOutputs:
    """Counts each new alert and offers it to the webhooks."""

    def __init__(self, metrics: Metrics, sender: AlertSender | None = None) -> None:
        self._metrics = metrics
        self._sender = sender or NoWebhooks()

    def raised(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            try:
                self._metrics.count_alert(alert.finding.rule, alert.finding.severity)
                self._sender.offer(alert)
            except Exception as exc:  # never raises: the alert is stored either way
                log.error("alert %s not passed to monitoring: %s", alert.id, type(exc).__name__)
