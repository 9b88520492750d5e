"""Databases for the tests: a real PostgreSQL, never a mock.

The server is the one at 127.0.0.1:5432 when it answers, otherwise an embedded server that the
suite starts itself. `TEST_PG` overrides the choice: `embedded` forces the embedded server, a
PostgreSQL URI names another server. Each test module gets a fresh database of its own
(`fresh_dsn`), dropped afterwards. Nothing is skipped for lack of a server.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import asyncpg
import pytest

from proxy.upstream.dsn import with_database
from proxy.upstream.embedded import embedded_postgres

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@cache
def _requested() -> str:
    choice = os.environ.get("TEST_PG", "auto")
    if choice == "auto":
        return LOCAL_SERVER if asyncio.run(_answers(LOCAL_SERVER)) else "embedded"
    return choice


async def _answers(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def pytest_report_header() -> str:
    choice = _requested()
    if choice == "embedded":
        return "PostgreSQL for tests: an embedded server started by the suite"
    return f"PostgreSQL for tests: {choice} (server {asyncio.run(_server_version(choice))})"


@pytest.fixture(scope="session")
def admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser DSN on the test server (the embedded one lives for the session)."""
    choice = _requested()
    if choice != "embedded":
        yield choice
        return
    with embedded_postgres(tmp_path_factory.mktemp("embedded-pg")) as dsn:
        yield dsn


@contextmanager
def new_database(admin_dsn: str, tag: str) -> Iterator[str]:
    """A new, empty database named after `tag`; dropped (even if in use) at the end."""
    tag = re.sub(r"[^a-z0-9]+", "_", tag.lower())[-30:]
    name = f"t_{tag}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(admin_dsn, name)
    finally:
        asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def fresh_dsn(admin_dsn: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database for this test module; dropped when the module is done."""
    with new_database(admin_dsn, request.module.__name__) as dsn:
        yield dsn


async def _admin(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
