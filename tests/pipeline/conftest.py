"""The red-team fixture's catalogue snapshot, for planning tests of this package."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from proxy.sql import load_catalog_snapshot
from tests.redteam.corpus import load_fixture_schema


@pytest.fixture(scope="module")
def snapshot(fresh_dsn: str) -> Iterator[Any]:
    """shared/redteam/schema.sql loaded into this module's database, as a snapshot."""

    async def load() -> Any:
        conn = await asyncpg.connect(fresh_dsn)
        try:
            await load_fixture_schema(conn)
            return await load_catalog_snapshot(conn)
        finally:
            await conn.close()

    yield asyncio.run(load())
