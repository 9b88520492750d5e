"""The audit store the rules' tests run on: one database per module with the audit and watch
tables, emptied before each test (`conn`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.watch.records import connected, prepare_store, reset_store


@pytest.fixture(scope="module")
def store_dsn(fresh_dsn: str) -> str:
    asyncio.run(prepare_store(fresh_dsn))
    return fresh_dsn


@pytest.fixture
async def conn(store_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    async with connected(store_dsn) as conn:
        await reset_store(conn)
        yield conn
