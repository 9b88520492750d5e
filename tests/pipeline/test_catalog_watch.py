"""The catalogue watch on a real PostgreSQL: schema changes reach the snapshot without a failure.

Pushed through the DDL event trigger (this module's database has it), checked periodically on a
database without it, after a terminated listening connection, and in bursts. Every wait polls
with a deadline; nothing sleeps and hopes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from proxy.config.settings import UpstreamSection
from proxy.pipeline.catalog import CatalogHolder
from proxy.pipeline.catalog_watch import APPLICATION_NAME, CatalogWatch, watch_catalog
from proxy.provision.catalog_trigger import install_catalog_trigger
from proxy.sql import analyze_sql
from proxy.upstream.pool import open_upstream
from tests.conftest import new_database

PUSH_ONLY = UpstreamSection(catalog_check_interval_s=3600)  # the periodic check never runs
CHECK_OFTEN = UpstreamSection(catalog_check_interval_s=0.5)
DEADLINE_S = 15.0


@pytest.fixture(scope="module")
def watched_dsn(fresh_dsn: str) -> str:
    """This module's database, with the DDL event trigger installed."""
    asyncio.run(_with_conn(fresh_dsn, install_catalog_trigger))
    return fresh_dsn


@pytest.fixture(scope="module")
def unwatched_dsn(admin_dsn: str) -> Iterator[str]:
    """A database without the trigger: only the periodic check notices changes there."""
    with new_database(admin_dsn, "catalog_watch_no_trigger") as dsn:
        yield dsn


async def _with_conn(dsn: str, work: Callable[[Any], Any]) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await work(conn)
    finally:
        await conn.close()


async def _execute(dsn: str, *statements: str) -> None:
    async def run(conn: Any) -> None:
        for statement in statements:
            await conn.execute(statement)

    await _with_conn(dsn, run)


async def _eventually(condition: Callable[[], Any], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while not await _value(condition()):
        if loop.time() > deadline:
            pytest.fail(f"not within {DEADLINE_S} s: {what}")
        await asyncio.sleep(0.05)


async def _value(result: Any) -> Any:
    return await result if asyncio.iscoroutine(result) else result


def _columns(holder: CatalogHolder, table: str) -> list[str]:
    relation = holder.snapshot.relation("public", table)
    return [] if relation is None else [c.name for c in relation.columns]


@asynccontextmanager
async def _watching(
    dsn: str, settings: UpstreamSection, listen_dsn: str | None = None
) -> AsyncIterator[CatalogWatch]:
    async with open_upstream(dsn, settings) as upstream:
        holder = await CatalogHolder.load(upstream)
        async with watch_catalog(holder, listen_dsn or dsn, settings) as watch:
            yield watch


async def _listening_backends(dsn: str) -> int:
    return int(
        await _with_conn(
            dsn,
            lambda conn: conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                APPLICATION_NAME,
            ),
        )
    )


async def test_an_added_column_is_pushed_without_a_failing_statement(watched_dsn: str) -> None:
    await _execute(watched_dsn, "CREATE TABLE pushed (id int)")
    async with _watching(watched_dsn, PUSH_ONLY) as watch:
        await _eventually(lambda: watch.connections == 1, "the watch listens")
        await _eventually(lambda: _columns(watch.holder, "pushed") == ["id"], "the table")
        version = watch.holder.snapshot.version
        await _execute(watched_dsn, "ALTER TABLE pushed ADD COLUMN secret text")
        await _eventually(lambda: "secret" in _columns(watch.holder, "pushed"), "the column")
        assert watch.holder.snapshot.version != version  # so the plan cache misses
        analyze_sql("SELECT secret FROM pushed", watch.holder.snapshot)  # no UndefinedColumn


async def test_a_burst_of_ddl_becomes_few_reloads(watched_dsn: str) -> None:
    await _execute(watched_dsn, "CREATE TABLE bursty (id int)")
    async with _watching(watched_dsn, PUSH_ONLY) as watch:
        await _eventually(lambda: watch.connections == 1, "the watch listens")
        await _eventually(lambda: _columns(watch.holder, "bursty") == ["id"], "the table")
        before = watch.holder.reloads
        await _execute(watched_dsn, *(f"ALTER TABLE bursty ADD COLUMN c{i} int" for i in range(20)))
        await _eventually(lambda: "c19" in _columns(watch.holder, "bursty"), "the last column")
        assert watch.holder.reloads - before <= 3


async def test_without_the_trigger_the_periodic_check_notices(unwatched_dsn: str) -> None:
    await _execute(unwatched_dsn, "CREATE TABLE checked (id int)")
    async with _watching(unwatched_dsn, CHECK_OFTEN) as watch:
        await _execute(unwatched_dsn, "ALTER TABLE checked RENAME COLUMN id TO ident")
        await _eventually(lambda: _columns(watch.holder, "checked") == ["ident"], "the rename")
        await _execute(unwatched_dsn, "CREATE TABLE checked_later (id int)")
        await _eventually(lambda: _columns(watch.holder, "checked_later") == ["id"], "the table")


async def test_the_check_works_while_listening_fails(unwatched_dsn: str) -> None:
    dead = "postgresql://postgres@127.0.0.1:1/postgres"
    async with _watching(unwatched_dsn, CHECK_OFTEN, listen_dsn=dead) as watch:
        await _execute(unwatched_dsn, "CREATE TABLE despite_no_listener (id int)")
        await _eventually(
            lambda: _columns(watch.holder, "despite_no_listener") == ["id"], "the table"
        )
        assert watch.connections == 0


async def test_a_terminated_listener_reconnects_and_reloads(watched_dsn: str) -> None:
    await _execute(watched_dsn, "CREATE TABLE resilient (id int)")
    async with _watching(watched_dsn, PUSH_ONLY) as watch:
        await _eventually(lambda: watch.connections == 1, "the watch listens")
        await _execute(
            watched_dsn,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{APPLICATION_NAME}' AND datname = current_database()",
            # made while no one listens: the reload after reconnecting must bring it
            "ALTER TABLE resilient ADD COLUMN while_away text",
        )
        await _eventually(lambda: watch.connections == 2, "the watch listens again")
        await _eventually(
            lambda: "while_away" in _columns(watch.holder, "resilient"), "the missed change"
        )
        await _execute(watched_dsn, "ALTER TABLE resilient ADD COLUMN after_return text")
        await _eventually(
            lambda: "after_return" in _columns(watch.holder, "resilient"), "a pushed change"
        )


async def test_leaving_the_block_leaves_no_task_and_no_connection(watched_dsn: str) -> None:
    async with _watching(watched_dsn, PUSH_ONLY) as watch:
        await _eventually(lambda: watch.connections == 1, "the watch listens")
        assert await _listening_backends(watched_dsn) == 1
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert not any(name.startswith("palata-catalog-") for name in names)
    await _eventually(lambda: _gone(watched_dsn), "the listening connection closes")


async def _gone(dsn: str) -> bool:
    return await _listening_backends(dsn) == 0
