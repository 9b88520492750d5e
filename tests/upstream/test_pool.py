"""Pooled connections act as the database role they are asked for, and never as a stale one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from proxy.config import load_settings
from proxy.sql.quoting import quote_ident
from proxy.upstream.errors import UpstreamError
from proxy.upstream.pool import PooledUpstream, RoleConnection, open_upstream
from tests.provision.support import drop_roles, unique_prefix


@pytest.fixture(scope="module")
def roles(fresh_dsn: str) -> Iterator[tuple[str, str]]:
    prefix = unique_prefix()
    first, second = f"{prefix}first", f"{prefix}second"
    asyncio.run(_create_roles(fresh_dsn, first, second))
    try:
        yield first, second
    finally:
        drop_roles(fresh_dsn, prefix)


async def _create_roles(dsn: str, *names: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for name in names:
            await conn.execute(f"CREATE ROLE {quote_ident(name)}")
    finally:
        await conn.close()


@pytest.fixture
async def upstream(fresh_dsn: str) -> AsyncIterator[PooledUpstream]:
    # one connection, so every block below reuses the same session
    settings = load_settings(
        None,
        {},
        {"upstream.dsn": fresh_dsn, "upstream.pool_min_size": 1, "upstream.pool_max_size": 1},
    )
    async with open_upstream(fresh_dsn, settings.upstream) as pooled:
        yield pooled


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[Any]:
    connection = await asyncpg.connect(fresh_dsn, connection_class=RoleConnection)
    try:
        yield connection
    finally:
        await connection.close()


async def _current_user(upstream: PooledUpstream, role: str | None) -> str:
    async with upstream.connection(role) as c:
        return str(await c.fetchval("SELECT current_user"))


async def test_each_block_acts_as_the_role_it_names(
    upstream: PooledUpstream, roles: tuple[str, str]
) -> None:
    first, second = roles
    login = await _current_user(upstream, None)
    sequence = [first, first, second, None, first, None]
    seen = [await _current_user(upstream, role) for role in sequence]
    assert seen == [first, first, second, login, first, login]


async def test_a_missing_role_is_refused_and_the_session_stays_usable(
    upstream: PooledUpstream, roles: tuple[str, str]
) -> None:
    first, _ = roles
    assert await _current_user(upstream, first) == first
    with pytest.raises(UpstreamError) as caught:
        await _current_user(upstream, f"{first}_missing")
    assert caught.value.sqlstate == "22023"  # invalid_parameter_value: role does not exist
    assert await _current_user(upstream, first) == first


async def test_an_interrupted_change_of_role_is_not_trusted(
    conn: Any, roles: tuple[str, str]
) -> None:
    first, second = roles
    await conn.act_as(second)
    # cancelled once the SET ROLE is on the wire: the server may well have applied it
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await conn.act_as(first)
    await conn.act_as(second)
    assert await conn.fetchval("SELECT current_user") == second
