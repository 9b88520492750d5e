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
    flags = {
        "upstream.dsn": dsn,
        "policies.dir": REPO / "policies",
        **{f"upstream.{k}": v for k, v in upstream.items()},
    }
    return load_settings(None, {}, flags)


@asynccontextmanager
async def client_for(
    settings: Settings, pipeline_class: type[Pipeline] = Pipeline
) -> AsyncIterator[Client]:
    """The demo policy and principals in front of the database `settings` name."""
    from proxy.upstream.pool import open_upstream

    principals = PrincipalDirectory.from_policies(REPO / "policies", DEMO_PRINCIPALS_FILE)
    async with open_upstream(settings.upstream_dsn, settings.upstream) as upstream:
        pipeline = await pipeline_class.build(settings, upstream)
        app = create_app(settings, upstream, principals, pipeline)
        async with TestClient(TestServer(app)) as client:
            yield client


@pytest.fixture
async def client(fresh_dsn: str) -> AsyncIterator[Client]:
    async with client_for(settings_for(fresh_dsn)) as c:
        yield c


@pytest.fixture
async def client_without_database(fresh_dsn: str) -> AsyncIterator[Client]:
    """An app whose upstream stopped answering after start (the pipeline was built before)."""
    from proxy.upstream.pool import open_upstream

    live, dead = (
        settings_for(fresh_dsn),
        settings_for(f"postgresql://postgres@127.0.0.1:{unused_port()}/postgres", pool_min_size=0),
    )
    principals = PrincipalDirectory.from_policies(REPO / "policies", DEMO_PRINCIPALS_FILE)
    async with (
        open_upstream(live.upstream_dsn, live.upstream) as working,
        open_upstream(dead.upstream_dsn, dead.upstream) as gone,
    ):
        pipeline = await Pipeline.build(live, working)
        async with TestClient(TestServer(create_app(dead, gone, principals, pipeline))) as c:
            yield c
