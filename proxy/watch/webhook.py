"""Telling monitoring: new alerts posted as JSON to the configured webhooks.

The detector hands each new alert to `WebhookSender.offer`, which never waits: it puts the
alert on a bounded queue, or, when the queue is full, counts a drop and leaves the alert
`pending` in the store. A named background task posts each alert to every target (signed with
`X-Palata-Signature: sha256=<hex HMAC-SHA256 of the body>` when the target has a secret),
retrying with exponential back-off and jitter; a 2xx answer is delivery. The alert's
`delivery` then becomes `sent` (every target took it) or `failed` (one gave up). The store is
the outbox: at start and every `poll_s` the sender queues the alerts still `pending`, so a
restart, a crash or a full queue loses nothing. Before sending, a sender takes a lease on the
alert (`next_attempt_at`), so of several instances sharing the store one sends it; delivery is
still at least once (a receiver dedups by the alert's `id`). The body carries references and
counts only: no subject fingerprint, no value.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from yarl import URL

from proxy.audit.schema import SCHEMA
from proxy.config.settings import DetectionSection, WebhookTarget
from proxy.observability.metrics import DeliveryOutcome, Metrics
from proxy.watch.alerts_read import alert_json, pending_alerts
from proxy.watch.model import Alert

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractAsyncContextManager[Any]]  # an asyncpg connection to the store
Sleep = Callable[[float], Awaitable[None]]
SIGNATURE_HEADER = "X-Palata-Signature"


class AlertSender(Protocol):
    def offer(self, alert: Alert) -> None:
        """Queue `alert` for the webhooks; never waits, never raises."""


class NoWebhooks:
    """No webhook configured: nothing to send."""

    def offer(self, alert: Alert) -> None:
        return None


@dataclass(frozen=True)
class Retry:
    """Back-off between attempts at one target: base * 2**n, at most `cap`, times a random
    factor in [0.5, 1.5) so that several instances do not retry in step."""

    attempts: int = 8
    base_s: float = 1.0
    cap_s: float = 300.0

    def delay(self, failed_attempts: int, jitter: float) -> float:
        return float(min(self.cap_s, self.base_s * 2.0 ** (failed_attempts - 1)) * jitter)


def alert_body(alert: Alert) -> bytes:
    """What a webhook receives: the alert without its acknowledgement or note."""
    return json.dumps(alert_json(alert, with_note=False), ensure_ascii=False).encode()


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Target:
    url: str
    secret: bytes | None
    timeout_s: float

    @classmethod
    def of(cls, target: WebhookTarget) -> _Target:
        return cls(target.url, target.secret_bytes(), target.timeout_s)

    @property
    def shown(self) -> str:
        """The target for a log line: scheme, host and port (a URL's path may hold a token)."""
        url = URL(self.url)
        return f"{url.scheme}://{url.host}:{url.port}"


class WebhookSender:
    """Posts alerts to `targets`; `connect` opens a connection to the alerts' store."""

    def __init__(
        self,
        targets: Sequence[WebhookTarget],
        connect: Connect,
        metrics: Metrics,
        *,
        queue_max: int = 1000,
        retry: Retry = Retry(),
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = lambda: random.uniform(0.5, 1.5),
        poll_s: float = 60.0,
        lease_s: float = 1800.0,  # longer than all the retries of one alert take
    ) -> None:
        self._targets = tuple(_Target.of(target) for target in targets)  # secrets read at start
        self._connect = connect
        self._metrics = metrics
        self._queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=queue_max)
        self._queue_max = queue_max
        self._retry = retry
        self._sleep = sleep
        self._jitter = jitter
        self._queued: set[str] = set()  # alert ids on the queue (an outbox re-read adds none twice)
        self._poll_s = poll_s
        self._lease_s = lease_s
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    def offer(self, alert: Alert) -> None:
        if alert.id in self._queued:
            return
        try:
            self._queue.put_nowait(alert)
        except asyncio.QueueFull:
            self._metrics.count_delivery("dropped")
            log.warning(
                "webhook queue full (%d alerts): alert %s stays pending for the next sweep",
                self._queue_max,
                alert.id,
            )
            return
        self._queued.add(alert.id)

    async def start(self) -> None:
        """Open the HTTP session, queue the store's pending alerts, start the sending task
        and the outbox's sweep."""
        self._session = aiohttp.ClientSession()
        self._tasks.append(asyncio.create_task(self._send_forever(), name="palata-webhooks"))
        await self._sweep()
        self._tasks.append(asyncio.create_task(self._sweep_forever(), name="palata-webhook-outbox"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            await self._sweep()

    async def _sweep(self) -> None:
        """Queue the store's pending alerts nobody holds, as many as the queue has room for."""
        room = self._queue_max - self._queue.qsize()
        if room <= 0:
            return
        try:
            async with self._connect() as conn:
                pending = await pending_alerts(conn, room)
        except Exception as exc:  # the store is down: new alerts still go; the rest wait
            log.warning("webhooks: cannot read the pending alerts: %s", type(exc).__name__)
            return
        for alert in pending:
            self.offer(alert)

    async def drained(self) -> None:
        """Wait until every queued alert is delivered or given up (tests, shutdown)."""
        await self._queue.join()

    async def _send_forever(self) -> None:
        while True:
            alert = await self._queue.get()
            try:
                await self._deliver(alert)
            except Exception as exc:  # a bug must not stop the sender; the alert stays pending
                log.error("webhooks: alert %s not handled: %s", alert.id, type(exc).__name__)
            finally:
                self._queued.discard(alert.id)
                self._queue.task_done()

    async def _deliver(self, alert: Alert) -> None:
        if not await self._claim(alert.id):
            return  # delivered already, or another instance holds it
        body = alert_body(alert)
        attempts = 0
        delivered = True
        for target in self._targets:
            took, tries = await self._post_with_retries(target, body, alert.id)
            attempts += tries
            delivered = delivered and took
        outcome: DeliveryOutcome = "sent" if delivered else "failed"
        self._metrics.count_delivery(outcome)
        await self._mark(alert.id, outcome, attempts)

    async def _post_with_retries(
        self, target: _Target, body: bytes, alert_id: str
    ) -> tuple[bool, int]:
        for attempt in range(1, self._retry.attempts + 1):
            problem = await self._post(target, body)
            if problem is None:
                return True, attempt
            log.warning(
                "webhook %s: alert %s attempt %d/%d failed: %s",
                target.shown,
                alert_id,
                attempt,
                self._retry.attempts,
                problem,
            )
            if attempt < self._retry.attempts:
                await self._sleep(self._retry.delay(attempt, self._jitter()))
        return False, self._retry.attempts

    async def _post(self, target: _Target, body: bytes) -> str | None:
        """None when the target took the body; else what went wrong (no body text)."""
        assert self._session is not None, "start() first"
        headers = {"Content-Type": "application/json"}
        if target.secret is not None:
            headers[SIGNATURE_HEADER] = signature(target.secret, body)
        timeout = aiohttp.ClientTimeout(total=target.timeout_s)
        try:
            async with self._session.post(
                target.url, data=body, headers=headers, timeout=timeout
            ) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return type(exc).__name__

    async def _claim(self, alert_id: str) -> bool:
        """Take the lease on a pending alert; False when it is done or held by another."""
        try:
            async with self._connect() as conn:
                claimed = await conn.fetchval(
                    f"UPDATE {SCHEMA}.alerts "
                    "SET next_attempt_at = now() + make_interval(secs => $2) "
                    "WHERE id = $1::uuid AND delivery = 'pending' "
                    "AND (next_attempt_at IS NULL OR next_attempt_at <= now()) RETURNING true",
                    alert_id,
                    self._lease_s,
                )
        except Exception as exc:  # the store is down: send anyway (at least once)
            log.warning("webhooks: alert %s not leased: %s", alert_id, type(exc).__name__)
            return True
        return bool(claimed)

    async def _mark(self, alert_id: str, outcome: str, attempts: int) -> None:
        try:
            async with self._connect() as conn:
                await conn.execute(
                    f"UPDATE {SCHEMA}.alerts SET delivery = $2, "
                    "delivery_attempts = delivery_attempts + $3 "
                    "WHERE id = $1::uuid AND delivery = 'pending'",
                    alert_id,
                    outcome,
                    attempts,
                )
        except Exception as exc:  # stays pending: sent again at the next start
            log.warning(
                "webhooks: alert %s delivery not recorded: %s", alert_id, type(exc).__name__
            )


@asynccontextmanager
async def sending_webhooks(
    detection: DetectionSection,
    connect: Connect,
    metrics: Metrics,
    *,
    retry: Retry = Retry(),
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[AlertSender]:
    """The sender for `detection.webhooks` for as long as the block runs (a no-op without
    any webhook)."""
    if not detection.webhooks:
        yield NoWebhooks()
        return
    sender = WebhookSender(
        detection.webhooks,
        connect,
        metrics,
        queue_max=detection.webhook_queue_max,
        retry=retry,
        sleep=sleep,
    )
    await sender.start()
    try:
        yield sender
    finally:
        await sender.close()
