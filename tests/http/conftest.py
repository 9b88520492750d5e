"""An HTTP door on a real database, driven by aiohttp's test client, with the demo principals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer

from proxy.config import Settings, load_settings
from proxy.http.app import create_app
from proxy.identity.demo import DEMO_PRINCIPALS_FILE
from proxy.identity.principals import PrincipalDirectory
from proxy.pipeline import Pipeline
from tests.support import REPO, unused_port

Client = TestClient[object, object]


def settings_for(dsn: str, **upstream: object) -> Settings:
    flags = {"upstream.dsn": dsn, **{f"upstream.{k}": v for k, v in upstream.items()}}
    return load_settings(None, {}, flags)


@asynccontextmanager
async def client_for(settings: Settings, pipeline: Pipeline | None = None) -> AsyncIterator[Client]:
    from proxy.upstream.pool import open_upstream

    principals = PrincipalDirectory.from_policies(REPO / "policies", DEMO_PRINCIPALS_FILE)
    async with open_upstream(settings.upstream_dsn, settings.upstream) as upstream:
        app = create_app(settings, upstream, principals, pipeline)
        async with TestClient(TestServer(app)) as client:
            yield client


@pytest.fixture
async def client(fresh_dsn: str) -> AsyncIterator[Client]:
    async with client_for(settings_for(fresh_dsn)) as c:
        yield c


@pytest.fixture
async def client_without_database() -> AsyncIterator[Client]:
    # min size 0: the pool opens without connecting, as if the database went away after start
    dead = f"postgresql://postgres@127.0.0.1:{unused_port()}/postgres"
    async with client_for(settings_for(dead, pool_min_size=0)) as c:
        yield c
