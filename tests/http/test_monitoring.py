"""The HTTP door's monitoring endpoints, against a real PostgreSQL."""

from __future__ import annotations

import pytest

from proxy.errors import UpstreamUnavailable
from proxy.upstream.pool import open_upstream
from tests.http.conftest import Client, settings_for
from tests.support import unused_port


async def test_healthz_answers(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_reaches_the_database(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "upstream": "reachable"}
    metrics = await (await client.get("/metrics")).text()
    assert "palata_upstream_up 1.0" in metrics


async def test_readyz_reports_an_unreachable_database(client_without_database: Client) -> None:
    response = await client_without_database.get("/readyz")
    assert response.status == 503
    error = (await response.json())["error"]
    assert error["code"] == "08006"
    assert "unreachable" in error["message"]
    assert "127.0.0.1" not in error["message"], "internal addresses stay in the log"
    assert (await client_without_database.get("/healthz")).status == 200
    metrics = await (await client_without_database.get("/metrics")).text()
    assert "palata_upstream_up 0.0" in metrics


async def test_metrics_count_requests_by_route(client: Client) -> None:
    for _ in range(3):
        await client.get("/healthz")
    await client.get("/no/such/route")
    response = await client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    assert 'palata_http_requests_total{method="GET",route="/healthz",status="200"} 3.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "palata_build_info{" in text


async def test_metric_labels_never_come_from_the_request(client: Client) -> None:
    for method in ("PROPFIND", "MKCOL", "BREW"):
        await client.request(method, f"/{method.lower()}-path")
    text = await (await client.get("/metrics")).text()
    for word in ("PROPFIND", "MKCOL", "BREW", "propfind-path"):
        assert word not in text
    assert 'method="other"' in text


async def test_unreachable_database_fails_at_start() -> None:
    dead = f"postgresql://postgres:hunter2@127.0.0.1:{unused_port()}/postgres"
    settings = settings_for(dead, connect_timeout_s=2)
    with pytest.raises(UpstreamUnavailable) as caught:
        async with open_upstream(settings.upstream_dsn, settings.upstream):
            pass
    assert "hunter2" not in str(caught.value)
    assert "postgres:***@127.0.0.1" in str(caught.value)
