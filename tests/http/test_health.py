"""The HTTP door's monitoring endpoints, against a real PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from proxy.config import Settings, load_settings
from proxy.errors import UpstreamUnavailable
from proxy.http.app import create_app
from proxy.identity.principals import PrincipalDirectory
from proxy.upstream.pool import open_upstream
from tests.conftest import REPO


def settings_for(dsn: str, **upstream: object) -> Settings:
    flags = {"upstream.dsn": dsn, **{f"upstream.{k}": v for k, v in upstream.items()}}
    return load_settings(None, {}, flags)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def client_for(settings: Settings) -> AsyncIterator[TestClient[object, object]]:
    principals = PrincipalDirectory.from_policies(REPO / "policies")
    async with open_upstream(settings.upstream_dsn, settings.upstream) as upstream:
        app = create_app(settings, upstream, principals)
        async with TestClient(TestServer(app)) as client:
            yield client


@pytest.fixture
async def client(fresh_dsn: str) -> AsyncIterator[TestClient[object, object]]:
    async for c in client_for(settings_for(fresh_dsn)):
        yield c


@pytest.fixture
async def client_without_database() -> AsyncIterator[TestClient[object, object]]:
    # min size 0: the pool opens without connecting, as if the database went away after start
    dead = f"postgresql://postgres@127.0.0.1:{unused_port()}/postgres"
    async for c in client_for(settings_for(dead, pool_min_size=0, ready_timeout_s=2)):
        yield c


async def test_healthz_answers(client: TestClient[object, object]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_reaches_the_database(client: TestClient[object, object]) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "upstream": "reachable"}
    metrics = await (await client.get("/metrics")).text()
    assert "palata_upstream_up 1.0" in metrics


async def test_readyz_reports_an_unreachable_database(
    client_without_database: TestClient[object, object],
) -> None:
    response = await client_without_database.get("/readyz")
    assert response.status == 503
    error = (await response.json())["error"]
    assert error["code"] == "08006"
    assert "unreachable" in error["message"]
    assert (await client_without_database.get("/healthz")).status == 200
    metrics = await (await client_without_database.get("/metrics")).text()
    assert "palata_upstream_up 0.0" in metrics


async def test_metrics_count_requests_by_route(client: TestClient[object, object]) -> None:
    for _ in range(3):
        await client.get("/healthz")
    await client.get("/no/such/route")
    response = await client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    assert 'palata_http_requests_total{method="GET",route="/healthz",status="200"} 3.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "palata_build_info{" in text


async def test_unreachable_database_fails_at_start() -> None:
    dead = f"postgresql://postgres:hunter2@127.0.0.1:{unused_port()}/postgres"
    settings = settings_for(dead, connect_timeout_s=2)
    with pytest.raises(UpstreamUnavailable) as caught:
        async with open_upstream(settings.upstream_dsn, settings.upstream):
            pass
    assert "hunter2" not in str(caught.value)
    assert "postgres:***@127.0.0.1" in str(caught.value)
