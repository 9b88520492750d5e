"""Webhooks against a real local aiohttp server and a real alerts table: retries with back-off
until a 2xx, a signature the receiver can verify, a full queue counted as a drop with the alert
left pending, and pending alerts sent after a restart (the store is the outbox)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from proxy.config.settings import DetectionSection, WebhookTarget
from proxy.observability.metrics import Metrics
from proxy.upstream.pool import single_connection
from proxy.watch.model import Alert
from proxy.watch.outputs import MonitoringOutputs
from proxy.watch.webhook import Retry, WebhookSender, sending_webhooks
from tests.watch.test_alerts_read import alerts_database, insert_alerts, stored_alert

SECRET = "webhook-test-secret"
BODY_KEYS = {
    "id", "rule", "severity", "action", "actor", "window", "bucket", "measure", "record_ids",
    "summary", "created_at", "instance",
}  # fmt: skip


class Receiver:
    """A monitoring endpoint answering the statuses it is given, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[tuple[bytes, str | None]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), request.headers.get("X-Palata-Signature")))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture(scope="module")
def dsn(admin_dsn: str) -> Iterator[str]:
    with alerts_database(admin_dsn, "webhook", []) as dsn:
        yield dsn


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    async with TestServer(app) as server:
        yield receiver, str(server.make_url("/hook"))


def connector(dsn: str) -> Any:
    def connect() -> AbstractAsyncContextManager[Any]:
        return single_connection(dsn)

    return connect


async def delivery_of(dsn: str, alert: Alert) -> tuple[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT delivery, delivery_attempts FROM palata_audit.alerts WHERE id = $1::uuid",
            alert.id,
        )
    finally:
        await conn.close()
    return row["delivery"], row["delivery_attempts"]


async def stored(dsn: str, *alerts: Alert) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await insert_alerts(conn, list(alerts))
    finally:
        await conn.close()


def counted(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("n", "statuses", "delivery", "posts", "sleeps"),
    [
        pytest.param(11, [], ("sent", 1), 1, [], id="first-attempt"),
        pytest.param(12, [500, 503], ("sent", 3), 3, [1.0, 2.0], id="retried-then-sent"),
        pytest.param(13, [404, 500, 500, 500], ("failed", 4), 4, [1.0, 2.0, 4.0], id="gave-up"),
    ],
)
async def test_delivery_retries_with_back_off(
    dsn: str,
    receiver: tuple[Receiver, str],
    n: int,
    statuses: list[int],
    delivery: tuple[str, int],
    posts: int,
    sleeps: list[float],
) -> None:
    server, url = receiver
    server.statuses = statuses
    alert = stored_alert(n)
    await stored(dsn, alert)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    metrics = Metrics("test")
    sender = WebhookSender(
        [WebhookTarget(url=url)],
        connector(dsn),
        metrics,
        retry=Retry(attempts=4),
        sleep=sleep,
        jitter=lambda: 1.0,
    )
    await sender.start()
    try:
        await asyncio.wait_for(sender.drained(), 10)
    finally:
        await sender.close()
    assert len(server.received) == posts
    assert slept == sleeps
    assert await delivery_of(dsn, alert) == delivery
    outcome = delivery[0]
    assert counted(metrics, "palata_alert_deliveries_total", outcome=outcome) == 1


async def test_the_signature_is_verifiable_and_the_body_holds_references_only(
    dsn: str, receiver: tuple[Receiver, str]
) -> None:
    server, url = receiver
    alert = stored_alert(21)
    await stored(dsn, alert)
    detection = DetectionSection(webhooks=(WebhookTarget(url=url, secret=SECRET),))
    metrics = Metrics("test")
    async with sending_webhooks(detection, connector(dsn), metrics) as sender:
        assert isinstance(sender, WebhookSender)
        await asyncio.wait_for(sender.drained(), 10)
    ((body, header),) = server.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert header is not None and hmac.compare_digest(header, expected)
    shown = json.loads(body)
    assert set(shown) == BODY_KEYS
    assert (shown["id"], shown["rule"], shown["record_ids"]) == (
        alert.id,
        "bulk_read",
        ["rec-21a", "rec-21b"],
    )
    assert await delivery_of(dsn, alert) == ("sent", 1)


async def test_a_full_queue_drops_counted_and_the_alert_stays_pending(
    dsn: str, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    first, second = stored_alert(31), stored_alert(32)
    await stored(dsn, first, second)
    metrics = Metrics("test")
    sender = WebhookSender([WebhookTarget(url=url)], connector(dsn), metrics, queue_max=1)
    outputs = MonitoringOutputs(metrics, sender)  # not started: nothing takes from the queue
    outputs.raised([first, second])
    assert counted(metrics, "palata_alert_deliveries_total", outcome="dropped") == 1
    assert counted(metrics, "palata_alerts_total", rule="bulk_read", severity="high") == 2
    assert await delivery_of(dsn, second) == ("pending", 0)


async def test_a_restart_sends_what_is_still_pending(
    dsn: str, receiver: tuple[Receiver, str]
) -> None:
    server, url = receiver
    conn = await asyncpg.connect(dsn)
    try:  # the earlier tests' leftovers (the dropped ones) are pending too: part of the outbox
        pending_before = await conn.fetchval(
            "SELECT count(*) FROM palata_audit.alerts WHERE delivery = 'pending'"
        )
    finally:
        await conn.close()
    waiting, done = stored_alert(41), stored_alert(42, delivery="sent")
    await stored(dsn, waiting, done)
    detection = DetectionSection(webhooks=(WebhookTarget(url=url),))
    async with sending_webhooks(detection, connector(dsn), Metrics("test")) as sender:
        assert isinstance(sender, WebhookSender)
        await asyncio.wait_for(sender.drained(), 10)
    sent_ids = {json.loads(body)["id"] for body, _ in server.received}
    assert waiting.id in sent_ids and done.id not in sent_ids
    assert len(sent_ids) == pending_before + 1
    assert await delivery_of(dsn, waiting) == ("sent", 1)


@pytest.mark.parametrize(
    ("n", "delivery", "lease", "offered", "sent"),
    [
        pytest.param(61, "pending", "now() - interval '1 hour'", False, True, id="lease-run-out"),
        pytest.param(62, "pending", "now() + interval '1 hour'", False, False, id="held-elsewhere"),
        pytest.param(
            63, "pending", "now() + interval '1 hour'", True, False, id="offered-but-held"
        ),
        pytest.param(64, "sent", "NULL", True, False, id="offered-but-sent"),
    ],
)
async def test_one_sender_at_a_time(
    dsn: str,
    receiver: tuple[Receiver, str],
    n: int,
    delivery: str,
    lease: str,
    offered: bool,
    sent: bool,
) -> None:
    """Several instances share the outbox: an alert another sender holds (its lease,
    `next_attempt_at`, not run out) or one already delivered is not sent again."""
    server, url = receiver
    alert = stored_alert(n, delivery=delivery)
    await stored(dsn, alert)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            f"UPDATE palata_audit.alerts SET next_attempt_at = {lease} WHERE id = $1::uuid",
            alert.id,
        )
    finally:
        await conn.close()
    sender = WebhookSender([WebhookTarget(url=url)], connector(dsn), Metrics("test"))
    await sender.start()
    try:
        if offered:
            sender.offer(alert)
        await asyncio.wait_for(sender.drained(), 10)
    finally:
        await sender.close()
    sent_ids = {json.loads(body)["id"] for body, _ in server.received}
    assert (alert.id in sent_ids) == sent
    assert (await delivery_of(dsn, alert))[0] == ("sent" if sent else delivery)


async def test_without_webhooks_nothing_is_sent(dsn: str) -> None:
    async with sending_webhooks(DetectionSection(), connector(dsn), Metrics("test")) as sender:
        assert not isinstance(sender, WebhookSender)
        sender.offer(stored_alert(51))  # accepted and forgotten
