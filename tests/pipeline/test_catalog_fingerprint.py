"""The catalogue fingerprint and the holder's reloads, on a real PostgreSQL.

One row per schema change: the fingerprint must differ after it, and so must the snapshot's
version (which keys the plan cache), so the next statement is analysed against the new schema.
Changes the analysis cannot see (rows, statistics) leave both alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from proxy.config.settings import UpstreamSection
from proxy.pipeline.catalog import CatalogHolder
from proxy.pipeline.catalog_fingerprint import catalog_fingerprint
from proxy.upstream.pool import open_upstream
from tests.conftest import new_database

SETUP = """
CREATE TABLE protected (id int PRIMARY KEY, name text, born date);
CREATE VIEW protected_names AS SELECT id, name FROM protected;
CREATE TYPE mood AS ENUM ('calm', 'angry');
"""

CHANGES = [
    pytest.param("ALTER TABLE protected ADD COLUMN secret text", id="add-column"),
    pytest.param("ALTER TABLE protected DROP COLUMN born", id="drop-column"),
    pytest.param("ALTER TABLE protected RENAME COLUMN name TO full_name", id="rename-column"),
    pytest.param("ALTER TABLE protected ALTER COLUMN born TYPE timestamp", id="retype-column"),
    pytest.param("ALTER TABLE protected RENAME TO guarded", id="rename-table"),
    pytest.param("CREATE TABLE newcomer (id int)", id="create-table"),
    pytest.param("DROP VIEW protected_names", id="drop-view"),
    pytest.param(
        "CREATE OR REPLACE VIEW protected_names AS SELECT id, name, born FROM protected",
        id="replace-view-adding-a-column",
    ),
    pytest.param("CREATE SCHEMA elsewhere; CREATE TABLE elsewhere.t (id int)", id="new-schema"),
    pytest.param("CREATE TABLE child () INHERITS (protected)", id="inheritance"),
    pytest.param("ALTER TYPE mood RENAME TO temper", id="rename-type"),
]

NO_CHANGES = [
    pytest.param("INSERT INTO protected VALUES (1, 'x', '2000-01-01')", id="insert-rows"),
    pytest.param("ANALYZE protected", id="analyze"),
    pytest.param("CREATE TEMP TABLE scratch (id int)", id="temp-table"),
]


@pytest.fixture
async def database(admin_dsn: str) -> AsyncIterator[str]:
    """A database of this test's own with the SETUP schema (each change starts from it)."""
    # new_database runs its own event loop, so it is entered from a thread
    context = new_database(admin_dsn, "catalog_fingerprint")
    dsn = await asyncio.to_thread(context.__enter__)
    try:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(SETUP)
        finally:
            await conn.close()
        yield dsn
    finally:
        await asyncio.to_thread(context.__exit__, None, None, None)


async def _fingerprint_and_version(dsn: str) -> tuple[str, str]:
    async with open_upstream(dsn, UpstreamSection()) as upstream:
        holder = await CatalogHolder.load(upstream)
        async with upstream.connection() as conn:
            assert await catalog_fingerprint(conn) == holder.fingerprint
        return str(holder.fingerprint), holder.snapshot.version


async def _execute(dsn: str, sql: str) -> None:
    conn: Any = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.parametrize("ddl", CHANGES)
async def test_a_schema_change_changes_fingerprint_and_version(database: str, ddl: str) -> None:
    fingerprint, version = await _fingerprint_and_version(database)
    await _execute(database, ddl)
    after_fingerprint, after_version = await _fingerprint_and_version(database)
    assert after_fingerprint != fingerprint
    assert after_version != version


@pytest.mark.parametrize("sql", NO_CHANGES)
async def test_data_and_statistics_leave_the_fingerprint_alone(database: str, sql: str) -> None:
    conn: Any = await asyncpg.connect(database)
    try:
        before = await catalog_fingerprint(conn)
        await conn.execute(sql)  # a temporary table lives as long as this connection
        assert await catalog_fingerprint(conn) == before
    finally:
        await conn.close()


async def test_reload_if_changed_reloads_only_on_a_change(database: str) -> None:
    async with open_upstream(database, UpstreamSection()) as upstream:
        holder = await CatalogHolder.load(upstream)
        assert not await holder.reload_if_changed()
        assert holder.reloads == 0
        await _execute(database, "ALTER TABLE protected ADD COLUMN secret text")
        assert await holder.reload_if_changed()
        assert holder.reloads == 1
        columns = [c.name for c in holder.snapshot.relation("public", "protected").columns]
        assert columns == ["id", "name", "born", "secret"]
        assert not await holder.reload_if_changed()
